import Logging
import WeirLog
import WeirRdKafka

/// Appends to a cluster topic through an idempotent librdkafka producer (`acks=all`,
/// retried until delivered, in order).
///
/// A source's chunk is produced when it ends and waited for, sent at once as one batch
/// (linger, `batch.size` and `batch.num.messages` are set above any chunk), so the
/// cluster appends the records and the position in their last header together, as the
/// embedded log does. Other records (dead letters, the `topic` sink) are produced on
/// `flush`, keyed ones to their murmur2 partition as Java clients put them.
final class ClusterAppender: LogAppender {
    let topic: String
    let partitionCount: Int
    private let producer: RdKafkaProducer
    private let chunks: Bool
    private var queued: [Int: [OutgoingMessage]] = [:]
    private var unplaced: [OutgoingMessage] = []
    /// Per partition, the offset after the last record this appender wrote there.
    private var marks: [Int64]

    init(topic: String, partitionCount: Int, configuration: RdKafkaConfiguration, chunks: Bool, logger: Logger) throws {
        self.topic = topic
        self.partitionCount = partitionCount
        self.chunks = chunks
        marks = Array(repeating: 0, count: partitionCount)
        var properties: [(key: String, value: String)] = []
        if chunks {
            // A chunk (at most a source's read of 256 KiB) is always one batch; the broker's
            // own limit applies to it compressed.
            properties = [
                ("linger.ms", "900000"), ("batch.num.messages", "1000000"), ("batch.size", "67108864"),
                ("message.max.bytes", "67108864"), ("queue.buffering.max.messages", "1000000"),
            ]
        }
        producer = try RdKafkaProducer(configuration.merging(properties), logger: logger)
    }

    deinit { producer.close() }

    func send(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, timestamp: Int64, headers: [RecordHeader], partition: Int?)
        throws
    {
        let message = OutgoingMessage(
            key: key.map { Array($0) }, value: value.map { Array($0) } ?? [], timestamp: timestamp, headers: headers,
            partition: partition.map(Int32.init))
        if let partition {
            queued[partition, default: []].append(message)
        } else {
            unplaced.append(message)
        }
    }

    func endBatch(partition: Int) throws {
        guard let messages = queued.removeValue(forKey: partition), !messages.isEmpty else { return }
        try deliver(messages)
    }

    func flush() throws {
        for partition in queued.keys.sorted() { try endBatch(partition: partition) }
        let messages = unplaced
        unplaced.removeAll()
        try deliver(messages)
    }

    func scanMarks() throws -> [Int64] { marks }

    private func deliver(_ messages: [OutgoingMessage]) throws {
        guard !messages.isEmpty else { return }
        let delivery = try producer.deliver(topic: topic, messages, now: chunks)
        if let failure = delivery.failures.first {
            throw PipelineError(
                description: "the cluster refused \(delivery.failures.count) record(s) for topic '\(topic)': \(failure.error)")
        }
        for (partition, offset) in delivery.lastOffsets where Int(partition) < marks.count {
            marks[Int(partition)] = max(marks[Int(partition)], offset + 1)
        }
    }
}
