import Foundation
import Logging
import WeirLog
import WeirPipeline
import WeirRdKafka

/// The `kafka` source: reads topics of a Kafka cluster into the pipeline's topic, as a
/// member of the cluster's consumer group `group` (several runners share the partitions).
///
/// Exactly once into the pipeline's log for the partitions a runner keeps: the next
/// offset of every cluster partition read is the source's position, appended with the
/// records it follows (as the `file` source's byte offsets are), so after a kill -9 each
/// partition it gets back starts where the log says, not where the group committed. The
/// group's offsets are committed after the pipeline's own append is acknowledged, for
/// lag tools and for the runner that gets a partition next: a partition that moves to
/// another runner starts there, so across such a move delivery is at least once.
struct KafkaSource: PipelineSource {
    let options: ComponentOptions

    func run(_ context: SourceContext) throws {
        let topics = options.strings("topics")
        let start = options.choice("start", default: Start.earliest)
        let group = options.string("group") ?? "weir-\(options.pipeline)-\(options.id)"
        let configuration = try KafkaClientOptions.configuration(
            options, [("group.id", group), ("auto.offset.reset", start.rawValue)])
        let consumer = try RdKafkaConsumer(configuration, logger: context.logger)
        defer { consumer.close() }
        try consumer.subscribe(topics)

        var positions = try Self.positions(context.position)
        var owned: Set<KafkaTopicPartition> = []
        /// `--once`: each owned partition's end when it was assigned.
        var ends: [KafkaTopicPartition: Int64] = [:]
        var committed: [KafkaTopicPartition: Int64] = [:]
        var lastCommit = monotonicMillis()

        /// The pipeline has what was appended: commit those positions to the group.
        func acknowledge(_ partitions: Set<KafkaTopicPartition>) throws {
            try context.flush()
            let due = positions.filter { partitions.contains($0.key) && committed[$0.key] != $0.value }
            do {
                try consumer.commit(due)
                committed.merge(due) { $1 }
            } catch {
                context.logger.warning("the group's offsets were not committed (the pipeline's own are)", metadata: ["error": "\(error)"])
            }
            lastCommit = monotonicMillis()
        }

        while !context.stop.isSet {
            switch try consumer.poll(timeoutMillis: 200) {
            case .assigned(let partitions):
                try consumer.assign(partitions.map { ($0, positions[$0]) })
                owned.formUnion(partitions)
                if context.once {
                    for partition in partitions { ends[partition] = try consumer.endOffset(partition) }
                }
                context.connected()
                context.logger.info("kafka source assigned", metadata: ["partitions": "\(partitions.sorted())"])
            case .revoked(let partitions, let lost):
                // Lost: another member may have them already; its commits are not undone.
                if !lost { try acknowledge(Set(partitions)) }
                try consumer.unassign(partitions)
                owned.subtract(partitions)
                for partition in partitions { ends[partition] = nil }
                context.logger.info("kafka source revoked", metadata: ["partitions": "\(partitions.sorted())", "lost": "\(lost)"])
            case .messages(let messages):
                for message in messages { positions[message.topicPartition] = message.offset + 1 }
                try context.append(
                    messages.map { SourceRecord(key: $0.key, value: $0.value, timestamp: $0.timestamp, headers: $0.headers) },
                    position: try Self.encode(positions))
            case .idle:
                break
            }
            if monotonicMillis() - lastCommit >= 1000 { try acknowledge(owned) }
            if context.once, !owned.isEmpty, owned.allSatisfy({ (positions[$0] ?? 0) >= (ends[$0] ?? 0) }) { break }
        }
        try acknowledge(owned)
    }

    enum Start: String {
        case earliest, latest
    }

    /// The position: `{"topic/partition": next offset, …}`.
    static func positions(_ text: String?) throws -> [KafkaTopicPartition: Int64] {
        guard let text else { return [:] }
        let decoded = try JSONDecoder().decode([String: Int64].self, from: Data(text.utf8))
        var positions: [KafkaTopicPartition: Int64] = [:]
        for (name, offset) in decoded {
            guard let slash = name.lastIndex(of: "/"), let partition = Int32(name[name.index(after: slash)...]) else { continue }
            positions[KafkaTopicPartition(topic: String(name[..<slash]), partition: partition)] = offset
        }
        return positions
    }

    static func encode(_ positions: [KafkaTopicPartition: Int64]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let named = Dictionary(uniqueKeysWithValues: positions.map { ("\($0.key.topic)/\($0.key.partition)", $0.value) })
        return String(decoding: try encoder.encode(named), as: UTF8.self)
    }

}
