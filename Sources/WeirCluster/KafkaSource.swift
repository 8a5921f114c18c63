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
/// another runner starts there (a runner that gets one back starts at the further of its
/// own position and the group's), so across such a move delivery is at least once.
struct KafkaSource: PipelineSource {
    let options: ComponentOptions

    func run(_ context: SourceContext) throws {
        let topics = options.strings("topics")
        let start = options.choice("start", default: Start.earliest)
        let group = options.string("group") ?? "weir-\(options.pipeline)-\(options.id)"
        // `--once` stops when every partition held was read to its end: librdkafka says so.
        let configuration = try KafkaClientOptions.configuration(
            options,
            [("group.id", group), ("auto.offset.reset", start.rawValue), ("enable.partition.eof", context.once ? "true" : "false")])
        let consumer = try RdKafkaConsumer(configuration, logger: context.logger)
        defer { consumer.close() }
        try consumer.subscribe(topics)

        var positions = try Self.positions(context.position)
        var owned: Set<KafkaTopicPartition> = []
        /// `--once`: whether the group's assignment is settled (given, perhaps empty, and not
        /// revoked since: an eager rebalance revokes everything before it gives anew, and a
        /// runner that left then would leave partitions nobody reads), and which partitions
        /// held were read to their end since.
        var settled = false
        var atEnd: Set<KafkaTopicPartition> = []
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
                // Where this runner's log says, unless the group committed further: another
                // runner held the partition since and read on (what it read is in its log).
                let groupOffsets = partitions.isEmpty ? [:] : try consumer.committed(partitions)
                for partition in partitions {
                    if let theirs = groupOffsets[partition], theirs > positions[partition] ?? -1 { positions[partition] = theirs }
                    committed[partition] = groupOffsets[partition]
                }
                try consumer.assign(partitions.map { ($0, positions[$0]) })
                owned.formUnion(partitions)
                settled = true
                context.connected()
                context.logger.info("kafka source assigned", metadata: ["partitions": "\(partitions.sorted())"])
            case .revoked(let partitions, let lost):
                // Lost: another member may have them already; its commits are not undone.
                if !lost { try acknowledge(Set(partitions)) }
                try consumer.unassign(partitions)
                owned.subtract(partitions)
                atEnd.subtract(partitions)
                settled = false
                context.logger.info("kafka source revoked", metadata: ["partitions": "\(partitions.sorted())", "lost": "\(lost)"])
            case .messages(let messages):
                for message in messages {
                    positions[message.topicPartition] = message.offset + 1
                    atEnd.remove(message.topicPartition)
                }
                try context.append(
                    messages.map { SourceRecord(key: $0.key, value: $0.value, timestamp: $0.timestamp, headers: $0.headers) },
                    position: try Self.encode(positions))
            case .reachedEnd(let partitions):
                atEnd.formUnion(partitions)
            case .idle:
                break
            }
            if monotonicMillis() - lastCommit >= 1000 { try acknowledge(owned) }
            if context.once, settled, owned.isSubset(of: atEnd) { break }
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
