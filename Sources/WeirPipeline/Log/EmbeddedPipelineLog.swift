import Foundation
package import WeirLog

/// The embedded log as a pipeline's log: topics in the data directory, appends through
/// its `Producer`, sinks through `SinkRunner` and its group coordinator.
extension EmbeddedLog: PipelineLog {
    package var isCluster: Bool { false }

    package func prepare(topics: [String: TopicConfig]) throws {
        for (name, config) in topics.sorted(by: { $0.key < $1.key }) where (try? topic(name)) == nil {
            _ = try createTopic(name, config: config)
        }
    }

    package func partitionCount(of name: String) throws -> Int { try topic(name).partitions.count }

    package func appender(to name: String, creating config: TopicConfig?, chunks: Bool) throws -> any LogAppender {
        let existing = try? topic(name)
        let topic = try existing ?? (config.map { try createTopic(name, config: $0) } ?? topic(name))
        // A chunk is one batch however large (the sources bound them).
        return try EmbeddedAppender(topic: topic, maxBatchBytes: chunks ? .max : 256 << 10)
    }

    package func positions(of source: String, in name: String, from scanFrom: [Int64]?) throws -> (
        found: [SourcePosition], ends: [Int64]
    ) {
        let topic = try topic(name)
        var found: [SourcePosition] = []
        let decoder = JSONDecoder()
        for partition in topic.partitions {
            let start = try partition.startOffset
            var reader = PartitionReader(partition: partition, from: max(scanFrom?[partition.id] ?? start, start))
            try reader.read(upTo: try partition.endOffset) { view in
                guard view.headerCount > 0 else { return true }
                for header in view.headers where header.key == SourcePosition.header {
                    if let bytes = header.value, let position = try? decoder.decode(SourcePosition.self, from: Data(bytes)),
                        position.source == source
                    {
                        found.append(position)
                    }
                }
                return true
            }
        }
        return (found, try topic.partitions.map { try $0.endOffset })
    }

    package func positionOwner(_ source: String) -> String { source }

    package func sinkRunner(_ setup: SinkRunnerSetup) throws -> any SinkRunning {
        try SinkRunner(setup, log: self)
    }
}

/// Appends through the embedded log's `Producer`: chunks are compressed on every core
/// and appended in order in the background.
final class EmbeddedAppender: LogAppender {
    let topic: Topic
    private let producer: Producer

    init(topic: Topic, maxBatchBytes: Int) throws {
        self.topic = topic
        producer = try Producer(topic: topic, maxBatchBytes: maxBatchBytes)
    }

    var partitionCount: Int { topic.partitions.count }

    func send(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, timestamp: Int64, headers: [RecordHeader], partition: Int?)
        throws
    {
        try producer.send(key: key, value: value, timestamp: timestamp, headers: headers, partition: partition)
    }

    func send(values bytes: UnsafeRawBufferPointer, _ ranges: UnsafeBufferPointer<Range<Int>>, timestamp: Int64, partition: Int)
        throws
    {
        try producer.send(values: bytes, ranges, timestamp: timestamp, partition: partition)
    }

    func endBatch(partition: Int) throws { try producer.endBatch(partition: partition) }

    func flush() throws { try producer.flush() }

    func scanMarks() throws -> [Int64] { try topic.partitions.map { try $0.endOffset } }
}
