import Foundation
import Synchronization
import WeirLog

/// Kafka's idempotent producers: each batch carries a producer id, an epoch and a
/// sequence number per partition, and the broker appends each sequence once. A retried
/// batch that is among the producer's last five is answered with its original offsets
/// and not appended again; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER, an older epoch
/// INVALID_PRODUCER_EPOCH (Kafka's `ProducerStateManager` rules). The state is rebuilt
/// from the headers of a partition's last segments the first time the partition is
/// produced to, so retries across a broker restart are caught too.
final class IdempotentProducers: Sendable {
    /// How many batches per producer and partition are remembered, as in Kafka.
    static let remembered = 5

    private let nextID: Atomic<Int64>
    private let partitions = Mutex<[TopicPartition: PartitionProducers]>([:])

    init() {
        // Ids grow with time, so a restarted broker never hands out one still in the log.
        nextID = Atomic(currentTimeMillis() * 1000)
    }

    func newProducerID() -> Int64 { nextID.add(1, ordering: .relaxed).newValue }

    struct Refused: Error, CustomStringConvertible {
        var code: KafkaErrorCode
        var description: String
    }

    /// Appends batches in order, each once; returns the base offset of the first (for a
    /// duplicate, its original one). Blocks: call on a blocking thread.
    func append(_ batches: [[UInt8]], to partition: Partition) throws -> Int64 {
        let headers = try batches.map { batch in try batch.withUnsafeBytes { try RecordBatchHeader(parsing: $0) } }
        guard headers.contains(where: { $0.producerId >= 0 }) else { return try partition.append(batches) }
        let producers = try state(of: partition)
        return try producers.lock.withLock {
            var first: Int64?
            for (batch, header) in zip(batches, headers) {
                let base: Int64
                if header.producerId < 0 {
                    base = try partition.append([batch])
                } else if let original = try producers.check(header) {
                    base = original
                } else {
                    base = try partition.append([batch])
                    producers.record(header, base: base)
                }
                first = first ?? base
            }
            return try first ?? partition.endOffset
        }
    }

    private func state(of partition: Partition) throws -> PartitionProducers {
        let key = TopicPartition(topic: partition.topic, partition: partition.id)
        let producers = partitions.withLock { table in
            if let known = table[key], known.partition === partition { return known }
            let fresh = PartitionProducers(partition: partition)
            table[key] = fresh
            return fresh
        }
        try producers.lock.withLock { try producers.loadIfNeeded() }
        return producers
    }
}

/// One partition's producers; touched only under `lock`.
private final class PartitionProducers: @unchecked Sendable {
    struct Batch {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
    }

    struct Producer {
        var epoch: Int16
        var batches: [Batch]
    }

    let partition: Partition
    let lock = NSLock()
    private var producers: [Int64: Producer] = [:]
    private var loaded = false

    init(partition: Partition) {
        self.partition = partition
    }

    func loadIfNeeded() throws {
        guard !loaded else { return }
        for header in try partition.recentBatchHeaders() where header.producerId >= 0 {
            record(header, base: header.baseOffset)
        }
        loaded = true
    }

    /// nil: append it. An offset: a duplicate of a batch appended there. Throws for a batch
    /// the producer must not have sent.
    func check(_ header: RecordBatchHeader) throws -> Int64? {
        guard let known = producers[header.producerId] else { return nil }
        let last = Self.lastSequence(header)
        if header.producerEpoch < known.epoch {
            throw IdempotentProducers.Refused(
                code: .invalidProducerEpoch,
                description: "producer \(header.producerId) epoch \(header.producerEpoch) is older than its current epoch \(known.epoch)")
        }
        if header.producerEpoch > known.epoch {
            guard header.baseSequence == 0 else {
                throw IdempotentProducers.Refused(
                    code: .outOfOrderSequenceNumber,
                    description:
                        "producer \(header.producerId) began epoch \(header.producerEpoch) at sequence \(header.baseSequence), not 0")
            }
            return nil
        }
        if let duplicate = known.batches.first(where: { $0.firstSequence == header.baseSequence && $0.lastSequence == last }) {
            return duplicate.baseOffset
        }
        let expected = known.batches.last.map { $0.lastSequence == .max ? 0 : $0.lastSequence + 1 } ?? header.baseSequence
        guard header.baseSequence == expected else {
            throw IdempotentProducers.Refused(
                code: .outOfOrderSequenceNumber,
                description: "producer \(header.producerId) sent sequence \(header.baseSequence) where \(expected) was expected")
        }
        return nil
    }

    func record(_ header: RecordBatchHeader, base: Int64) {
        var producer = producers[header.producerId] ?? Producer(epoch: header.producerEpoch, batches: [])
        if header.producerEpoch != producer.epoch { producer = Producer(epoch: header.producerEpoch, batches: []) }
        producer.batches.append(Batch(firstSequence: header.baseSequence, lastSequence: Self.lastSequence(header), baseOffset: base))
        if producer.batches.count > IdempotentProducers.remembered { producer.batches.removeFirst() }
        producers[header.producerId] = producer
    }

    /// The sequence of the batch's last record; sequences wrap from Int32.max to 0.
    static func lastSequence(_ header: RecordBatchHeader) -> Int32 {
        let last = Int64(header.baseSequence) + Int64(header.lastOffsetDelta)
        return Int32(last > Int64(Int32.max) ? last - Int64(Int32.max) - 1 : last)
    }
}
