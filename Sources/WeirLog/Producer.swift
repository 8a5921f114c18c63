import Dispatch
import Synchronization

/// Batches records per partition and appends them: keyed records to their murmur2
/// partition, unkeyed ones round-robin (or all to a pinned partition).
///
/// Full batches leave in waves of one batch per core. A wave is compressed in parallel
/// and appended in order on a background queue while the caller goes on filling the
/// next wave, so parsing, compression and writing overlap. At most two waves are in
/// flight, which bounds memory. `send` and `flush` are for one thread at a time.
public final class Producer {
    public let topic: Topic
    public let maxBatchBytes: Int
    /// Records above this size are refused rather than written.
    public static let maxRecordBytes = 64 << 20
    private let pinned: Int?
    private var partitioner: Partitioner
    private var open: [RecordBatchBuilder]
    private var sealed: [(partition: Int, builder: RecordBatchBuilder)] = []
    private let parallelism: Int
    private let pipeline: Pipeline
    /// Called after each append is acknowledged (durable as the flush policy promises),
    /// on the producer's background queue, in append order.
    public var onAppend: (@Sendable (AppendResult) -> Void)? {
        get { pipeline.onAppend.withLock { $0 } }
        set { pipeline.onAppend.withLock { $0 = newValue } }
    }

    public init(topic: Topic, partition: Int? = nil, maxBatchBytes: Int = 256 << 10) throws {
        if let partition { _ = try topic.partition(partition) }
        self.topic = topic
        self.pinned = partition
        self.maxBatchBytes = maxBatchBytes
        partitioner = Partitioner(partitionCount: topic.partitions.count)
        open = topic.partitions.map { _ in RecordBatchBuilder() }
        parallelism = max(1, min(topic.partitions.count, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        pipeline = Pipeline(topic: topic)
    }

    /// Queues one record; it is appended when its batch fills or on `flush()`.
    /// Throws the error of an earlier background append, if one failed.
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
            open[partition] = pipeline.takeBuilder()
            if sealed.count >= parallelism { try submit() }
        }
    }

    public func send(_ record: Record) throws {
        try withOptionalBytes(record.key) { key in
            try withOptionalBytes(record.value) { value in
                try send(key: key, value: value, timestamp: record.timestamp, headers: record.headers)
            }
        }
    }

    /// Appends everything queued, waits for it, and returns where it all went since the
    /// last flush.
    @discardableResult
    public func flush() throws -> [AppendResult] {
        for partition in open.indices where !open[partition].isEmpty {
            sealed.append((partition, open[partition]))
            open[partition] = pipeline.takeBuilder()
        }
        try submit()
        return try pipeline.waitForAll()
    }

    private func submit() throws {
        guard !sealed.isEmpty else { return }
        let wave = Wave(sealed)
        sealed.removeAll()
        try pipeline.submit(wave)
    }

    deinit { _ = try? pipeline.waitForAll() }
}

/// Full batches on their way to the log; owned by the pipeline's queue once submitted.
private final class Wave: @unchecked Sendable {
    let items: [(partition: Int, builder: RecordBatchBuilder)]
    init(_ items: [(partition: Int, builder: RecordBatchBuilder)]) { self.items = items }
}

/// The background half of a producer: compresses waves in parallel and appends them in
/// submission order on one serial queue.
private final class Pipeline: Sendable {
    let topic: Topic
    let onAppend = Mutex<(@Sendable (AppendResult) -> Void)?>(nil)
    private let queue = DispatchQueue(label: "weir.producer")
    private let slots = DispatchSemaphore(value: 2)
    private let failure = Mutex<WrappedError?>(nil)
    private let results = Mutex<[AppendResult]>([])
    private let spare = Mutex<[SpareBuilder]>([])

    struct WrappedError: @unchecked Sendable { let error: any Error }
    struct SpareBuilder: @unchecked Sendable { let builder: RecordBatchBuilder }

    init(topic: Topic) { self.topic = topic }

    func takeBuilder() -> RecordBatchBuilder {
        spare.withLock { $0.popLast()?.builder } ?? RecordBatchBuilder()
    }

    func submit(_ wave: Wave) throws {
        try throwIfFailed()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            defer { spare.withLock { $0 += wave.items.map { SpareBuilder(builder: $0.builder) } } }
            guard failure.withLock({ $0 == nil }) else { return }
            do {
                try process(wave)
            } catch {
                failure.withLock { $0 = $0 ?? WrappedError(error: error) }
            }
        }
    }

    private func process(_ wave: Wave) throws {
        let codec = topic.config.compression
        let level = topic.config.compressionLevel
        let items = wave.items
        let counts = items.map(\.builder.count)
        var built = [Result<(bytes: UnsafeRawBufferPointer, header: RecordBatchHeader), any Error>](
            repeating: .failure(CancellationError()), count: items.count)
        if codec == .none || items.count == 1 {
            for i in items.indices { built[i] = Result { try items[i].builder.buildInPlace(codec: codec, level: level) } }
        } else {
            // One batch per core; each builder compresses into its own buffer.
            built.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let slots = slots
                nonisolated(unsafe) let items = items
                DispatchQueue.concurrentPerform(iterations: items.count) { i in
                    slots[i] = Result { try items[i].builder.buildInPlace(codec: codec, level: level) }
                }
            }
        }
        let callback = onAppend.withLock { $0 }
        for i in items.indices {
            let (bytes, header) = try built[i].get()
            let base = try topic.partitions[items[i].partition].appendBuilt(bytes, header: header)
            let result = AppendResult(partition: items[i].partition, baseOffset: base, count: counts[i])
            results.withLock { $0.append(result) }
            callback?(result)
        }
    }

    /// Waits for every submitted wave; returns their results or the first error.
    func waitForAll() throws -> [AppendResult] {
        queue.sync {}
        try throwIfFailed()
        return results.withLock { results in
            defer { results.removeAll() }
            return results
        }
    }

    private func throwIfFailed() throws {
        if let failed = failure.withLock({ $0 }) { throw failed.error }
    }
}

#if canImport(Glibc)
import Glibc
#endif
