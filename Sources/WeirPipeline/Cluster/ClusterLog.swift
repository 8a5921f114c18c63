import Foundation
package import Logging
import Synchronization
package import WeirLog
import WeirRdKafka

/// A Kafka-protocol cluster as a pipeline's log (`weir run --bootstrap`), through
/// librdkafka: topics are the cluster's, sources produce into them idempotently, and
/// each sink is a member of its consumer group, sharing the partitions with the same
/// sink in every other runner process on every host. Checkpoints stay on this host,
/// under `directory`.
///
/// The choice is per process, like the embedded log it replaces: every pipeline a
/// `weir run` runs shares it, and its data directory then holds only checkpoints.
package final class ClusterLog: PipelineLog {
    package let directory: String
    package var isCluster: Bool { true }
    let configuration: RdKafkaConfiguration
    let logger: Logger
    /// Names this runner in the group-commit ledger; kept in the data directory, so a
    /// restarted runner is the same one.
    let runnerID: String
    private let admin: RdKafkaAdmin
    private let partitionCounts = Mutex<[String: Int]>([:])
    /// The topics pipelines declared: producers compress as they say.
    private let declared = Mutex<[String: TopicConfig]>([:])

    /// `bootstrap` is `HOST:PORT[,HOST:PORT…]`; `properties` are librdkafka's
    /// (`security.protocol`, `sasl.*`, `ssl.*`, `client.id`, …), passed through.
    package init(directory: String, bootstrap: String, properties: [(key: String, value: String)], logger: Logger) throws {
        self.directory = directory
        self.logger = logger
        configuration = RdKafkaConfiguration(bootstrap: bootstrap, properties)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        runnerID = try Self.runnerID(in: directory)
        admin = try RdKafkaAdmin(ClientRole.admin.filter(configuration))
    }

    /// The runner's id, made once per data directory.
    private static func runnerID(in directory: String) throws -> String {
        let path = directory + "/runner-id"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) { return id }
        }
        let id = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))
        try DurableFile.write(Array((id + "\n").utf8), to: path)
        return id
    }

    package func prepare(topics: [String: TopicConfig]) throws {
        declared.withLock { $0.merge(topics) { _, new in new } }
        var existing = try admin.partitionCounts()
        for (name, config) in topics.sorted(by: { $0.key < $1.key }) {
            if let partitions = existing[name] {
                guard partitions == config.partitions else {
                    throw PipelineError(
                        description:
                            "topic '\(name)' has \(partitions) partitions on the cluster, but the pipeline declares \(config.partitions); change the pipeline (a topic's partitions decide where keys go)"
                    )
                }
                continue
            }
            do {
                // Without replication_factor, the cluster's default.replication.factor.
                try admin.create(
                    ClusterTopic(
                        name: name, partitions: config.partitions, replicationFactor: config.replicationFactor ?? -1,
                        configs: Self.kafkaConfigs(config)))
            } catch let error as RdKafkaError where error.code == 36 {
                // TOPIC_ALREADY_EXISTS: another runner made it just now.
                let now = try admin.partitionCounts()[name]
                guard now == config.partitions else {
                    throw PipelineError(
                        description:
                            "topic '\(name)' has \(now ?? 0) partitions on the cluster, but the pipeline declares \(config.partitions); change the pipeline (a topic's partitions decide where keys go)"
                    )
                }
                existing[name] = config.partitions
                continue
            }
            logger.info("topic created on the cluster", metadata: ["topic": "\(name)", "partitions": "\(config.partitions)"])
            existing[name] = config.partitions
        }
        partitionCounts.withLock { $0.merge(existing) { _, new in new } }
    }

    /// A declared topic's settings under Kafka's names (flush policies are the brokers' own).
    static func kafkaConfigs(_ config: TopicConfig) -> [String: String] {
        var configs = [
            "compression.type": config.compression == .gzip ? "gzip" : "producer",
            "retention.ms": "\(config.retentionMs ?? -1)",
            "segment.bytes": "\(config.segmentBytes)",
            "segment.ms": "\(config.segmentMs)",
        ]
        if let bytes = config.retentionBytes { configs["retention.bytes"] = "\(bytes)" }
        return configs
    }

    package func partitionCount(of topic: String) throws -> Int {
        if let known = partitionCounts.withLock({ $0[topic] }) { return known }
        let counts = try admin.partitionCounts()
        partitionCounts.withLock { $0 = counts }
        guard let count = counts[topic] else { throw PipelineError(description: "topic '\(topic)' does not exist on the cluster") }
        return count
    }

    package func appender(to topic: String, creating config: TopicConfig?, chunks: Bool) throws -> any LogAppender {
        if let config, (try? partitionCount(of: topic)) == nil { try prepare(topics: [topic: config]) }
        // Batches are compressed as the topic says (the cluster stores them as they come).
        let settings = declared.withLock { $0[topic] } ?? config
        let compression: [(key: String, value: String)] =
            settings?.compression == .gzip
            ? [("compression.type", "gzip"), ("compression.level", "\(settings?.compressionLevel ?? 1)")] : [("compression.type", "none")]
        return try ClusterAppender(
            topic: topic, partitionCount: partitionCount(of: topic),
            configuration: ClientRole.producer.filter(configuration).merging(compression), chunks: chunks, logger: logger)
    }

    package func positions(of source: String, in topic: String, from scanFrom: [Int64]?) throws -> (
        found: [SourcePosition], ends: [Int64]
    ) {
        let count = try partitionCount(of: topic)
        let consumer = try RdKafkaConsumer(
            ClientRole.consumer.filter(configuration).merging([
                ("group.id", "weir.scan.\(runnerID)"), ("enable.partition.eof", "true"), ("auto.offset.reset", "earliest"),
            ]), logger: logger)
        defer { consumer.close() }
        var ends: [Int64] = []
        var starts: [(KafkaTopicPartition, offset: Int64?)] = []
        for partition in 0..<count {
            let key = KafkaTopicPartition(topic: topic, partition: Int32(partition))
            let end = try consumer.endOffset(key)
            ends.append(end)
            let from = scanFrom?[partition] ?? 0
            // -2: the partition's start (where retention left it).
            if from < end { starts.append((key, from > 0 ? from : -2)) }
        }
        var found: [SourcePosition] = []
        guard !starts.isEmpty else { return (found, ends) }
        try consumer.assign(starts)
        var open = Set(starts.map(\.0))
        let decoder = JSONDecoder()
        while !open.isEmpty {
            switch try consumer.poll(timeoutMillis: 1000) {
            case .messages(let messages):
                for message in messages {
                    if message.offset + 1 >= ends[Int(message.partition)] { open.remove(message.topicPartition) }
                    for header in message.headers where header.key == SourcePosition.header {
                        if let bytes = header.value, let position = try? decoder.decode(SourcePosition.self, from: Data(bytes)),
                            position.source == source
                        {
                            found.append(position)
                        }
                    }
                }
            case .reachedEnd(let partitions): open.subtract(partitions)
            default: break
            }
        }
        return (found, ends)
    }

    /// Positions are this runner's: the same pipeline on another host reads other files.
    package func positionOwner(_ source: String) -> String { source + "@" + runnerID }

    package func sinkRunner(_ setup: SinkRunnerSetup) throws -> any SinkRunning {
        try ClusterSinkRunner(setup, log: self)
    }
}
