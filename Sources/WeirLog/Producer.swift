import Dispatch

/// Batches records per partition and appends them: keyed records to their murmur2
/// partition, unkeyed ones round-robin (or all to a pinned partition).
///
/// Full batches are compressed in parallel, one per core, then appended in order, so
/// gzip ingest scales with cores. Used by one thread at a time.
public final class Producer {
    public let topic: Topic
    public let maxBatchBytes: Int
    /// Records above this size are refused rather than written.
    public static let maxRecordBytes = 64 << 20
    private let pinned: Int?
    private var partitioner: Partitioner
    private var open: [RecordBatchBuilder]
    private var sealed: [(partition: Int, builder: RecordBatchBuilder)] = []
    private var spare: [RecordBatchBuilder] = []
    private var results: [AppendResult] = []
    private let parallelism: Int
    /// Called after each append is acknowledged (durable as the flush policy promises).
    public var onAppend: ((AppendResult) -> Void)?

    public init(topic: Topic, partition: Int? = nil, maxBatchBytes: Int = 256 << 10) throws {
        if let partition { _ = try topic.partition(partition) }
        self.topic = topic
        self.pinned = partition
        self.maxBatchBytes = maxBatchBytes
        partitioner = Partitioner(partitionCount: topic.partitions.count)
        open = topic.partitions.map { _ in RecordBatchBuilder() }
        parallelism = max(1, min(topic.partitions.count, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Queues one record; it is appended when its batch fills or on `flush()`.
    public func send(
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        timestamp: Int64 = currentTimeMillis(),
        headers: [RecordHeader] = []
    ) throws {
        let size = (key?.count ?? 0) + (value?.count ?? 0)
        guard size <= Self.maxRecordBytes else { throw WeirLogError.recordTooLarge(size: size, limit: Self.maxRecordBytes) }
        let partition = pinned ?? partitioner.partition(forKey: key)
        let builder = open[partition]
        builder.append(key: key, value: value, timestamp: timestamp, headers: headers)
        if builder.byteCount >= maxBatchBytes {
            sealed.append((partition, builder))
            open[partition] = spare.popLast() ?? RecordBatchBuilder()
            if sealed.count >= parallelism { try drain() }
        }
    }

    public func send(_ record: Record) throws {
        try withOptionalBytes(record.key) { key in
            try withOptionalBytes(record.value) { value in
                try send(key: key, value: value, timestamp: record.timestamp, headers: record.headers)
            }
        }
    }

    /// Appends everything queued and returns where it all went since the last flush.
    @discardableResult
    public func flush() throws -> [AppendResult] {
        for partition in open.indices where !open[partition].isEmpty {
            sealed.append((partition, open[partition]))
            open[partition] = spare.popLast() ?? RecordBatchBuilder()
        }
        try drain()
        defer { results.removeAll() }
        return results
    }

    private func drain() throws {
        guard !sealed.isEmpty else { return }
        let codec = topic.config.compression
        let level = topic.config.compressionLevel
        let counts = sealed.map(\.builder.count)
        let builders = sealed.map(\.builder)
        var built: [Result<(bytes: UnsafeRawBufferPointer, header: RecordBatchHeader), any Error>]
        if codec == .none || builders.count == 1 {
            built = builders.map { builder in Result { try builder.buildInPlace(codec: codec, level: level) } }
        } else {
            // Compress one batch per core; each builder writes into its own buffer.
            built = Array(repeating: .failure(CancellationError()), count: builders.count)
            built.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let slots = slots
                nonisolated(unsafe) let builders = builders
                DispatchQueue.concurrentPerform(iterations: builders.count) { i in
                    slots[i] = Result { try builders[i].buildInPlace(codec: codec, level: level) }
                }
            }
        }
        let partitions = sealed.map(\.partition)
        sealed.removeAll()
        defer { spare.append(contentsOf: builders) }
        for i in built.indices {
            let (bytes, header) = try built[i].get()
            let base = try topic.partitions[partitions[i]].appendBuilt(bytes, header: header)
            let result = AppendResult(partition: partitions[i], baseOffset: base, count: counts[i])
            results.append(result)
            onAppend?(result)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
