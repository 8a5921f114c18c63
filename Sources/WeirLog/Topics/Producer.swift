import Dispatch
import Glibc
import Synchronization

/// Batches records per partition and appends them: keyed records to their murmur2
/// partition, unkeyed ones round-robin (or all to a pinned partition).
///
/// Each full batch is compressed on its own core as soon as it is full, and appended in
/// order on a background queue, while the caller goes on filling the next one; so
/// parsing, compression and writing overlap and every core compresses. At most two
/// batches per core are in flight, which bounds memory. `send` and `flush` are for one
/// thread at a time.
public final class Producer {
    public let topic: Topic
    public let maxBatchBytes: Int
    /// Records above this size are refused rather than written.
    public static let maxRecordBytes = 64 << 20
    private let pinned: Int?
    private var partitioner: Partitioner
    private var open: [RecordBatchBuilder]
    private let appender: BackgroundAppender
    /// Called after each append is acknowledged (durable as the flush policy promises),
    /// from a background queue, one call at a time, in offset order per partition. It must
    /// not call back into the producer (`flush`, `onAppend`).
    public var onAppend: (@Sendable (AppendResult) -> Void)? {
        get { appender.onAppend.withLock { $0 } }
        set { appender.onAppend.withLock { $0 = newValue } }
    }

    public init(topic: Topic, partition: Int? = nil, maxBatchBytes: Int = 256 << 10) throws {
        if let partition { _ = try topic.partition(partition) }
        self.topic = topic
        self.pinned = partition
        self.maxBatchBytes = maxBatchBytes
        partitioner = Partitioner(partitionCount: topic.partitions.count)
        open = topic.partitions.map { _ in RecordBatchBuilder() }
        let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        appender = BackgroundAppender(topic: topic, inFlight: 2 * cores)
    }

    /// Queues one record; it is appended when its batch fills or on `flush()`. A given
    /// `partition` overrides the partitioner.
    /// Throws the error of an earlier background append, if one failed.
    public func send(
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        timestamp: Int64 = currentTimeMillis(),
        headers: [RecordHeader] = [],
        partition chosen: Int? = nil
    ) throws {
        let size = (key?.count ?? 0) + (value?.count ?? 0)
        guard size <= Self.maxRecordBytes else { throw WeirLogError.recordTooLarge(size: size, limit: Self.maxRecordBytes) }
        let partition = chosen ?? pinned ?? partitioner.partition(forKey: key)
        let builder = open[partition]
        builder.append(key: key, value: value, timestamp: timestamp, headers: headers)
        if builder.byteCount >= maxBatchBytes { try seal(partition) }
    }

    /// Queues records with no key and no headers, one per range of `bytes` (their
    /// values), all stamped `timestamp`, for `partition`: what `send` does for each, in
    /// one pass per batch.
    public func send(values bytes: UnsafeRawBufferPointer, _ ranges: UnsafeBufferPointer<Range<Int>>, timestamp: Int64, partition: Int)
        throws
    {
        // (A plain loop: a key path here cost more than encoding the records.)
        for range in ranges where range.count > Self.maxRecordBytes {
            throw WeirLogError.recordTooLarge(size: range.count, limit: Self.maxRecordBytes)
        }
        _ = try topic.partition(partition)
        var rest = ranges[...]
        while !rest.isEmpty {
            let builder = open[partition]
            let appended = builder.appendValues(
                bytes, UnsafeBufferPointer(rebasing: rest), timestamp: timestamp, upTo: maxBatchBytes - builder.byteCount)
            rest = rest.dropFirst(appended)
            if builder.byteCount >= maxBatchBytes { try seal(partition) }
        }
    }

    public func send(_ record: Record) throws {
        try withOptionalBytes(record.key) { key in
            try withOptionalBytes(record.value) { value in
                try send(key: key, value: value, timestamp: record.timestamp, headers: record.headers)
            }
        }
    }

    /// Submits the open batch of `partition` now, without waiting for it. A caller that
    /// chooses partitions itself uses this to make a run of records one batch: one
    /// append, so after a crash the log holds all of them or none.
    public func endBatch(partition: Int) throws {
        if !open[partition].isEmpty { try seal(partition) }
    }

    /// Appends everything queued, waits for it, and returns where it all went since the
    /// last flush.
    @discardableResult
    public func flush() throws -> [AppendResult] {
        for partition in open.indices where !open[partition].isEmpty { try seal(partition) }
        return try appender.waitForAll()
    }

    private func seal(_ partition: Int) throws {
        let builder = open[partition]
        open[partition] = appender.takeBuilder()
        try appender.submit(Job(partition: partition, builder: builder))
    }

    /// Waits for what was submitted; records still in open batches (never flushed) are dropped.
    deinit { _ = try? appender.waitForAll() }
}

/// One full batch on its way to the log. Its builder belongs to the appender from
/// submission until the append is done.
private final class Job: @unchecked Sendable {
    // unchecked: `built` is written by the compressing queue before the append queue reads it, ordered by a DispatchGroup the compiler cannot see.
    let partition: Int
    let builder: RecordBatchBuilder
    let count: Int
    var built: Result<(bytes: UnsafeRawBufferPointer, header: RecordBatchHeader), any Error> = .failure(CancellationError())

    init(partition: Int, builder: RecordBatchBuilder) {
        self.partition = partition
        self.builder = builder
        self.count = builder.count
    }
}

/// The background half of a producer: compresses batches on the global concurrent
/// queue and appends them in submission order on one serial queue.
private final class BackgroundAppender: Sendable {
    let topic: Topic
    let onAppend = Mutex<(@Sendable (AppendResult) -> Void)?>(nil)
    private let appends = DispatchQueue(label: "weir.producer.append")
    /// One per partition: fsyncs of different partitions overlap, and appends go on
    /// while a partition's fsync runs (the next fsync then covers them all).
    private let syncs: [DispatchQueue]
    private let slots: DispatchSemaphore
    private let failure = Mutex<(any Error)?>(nil)
    private let results = Mutex<[AppendResult]>([])
    /// Serialises `onAppend` calls across the partitions' queues (not held while reading it).
    private let callbacks = Mutex<Void>(())
    private let spare = Mutex<[SpareBuilder]>([])

    // unchecked: a builder is a non-Sendable class; a spare one is used by no thread until the next `takeBuilder` hands it to one.
    struct SpareBuilder: @unchecked Sendable { let builder: RecordBatchBuilder }

    init(topic: Topic, inFlight: Int) {
        self.topic = topic
        slots = DispatchSemaphore(value: inFlight)
        syncs = topic.partitions.map { DispatchQueue(label: "weir.producer.sync.\($0.id)") }
    }

    func takeBuilder() -> RecordBatchBuilder {
        spare.withLock { $0.popLast()?.builder } ?? RecordBatchBuilder()
    }

    func submit(_ job: Job) throws {
        try throwIfFailed()
        slots.wait()
        let codec = topic.config.compression
        let level = topic.config.compressionLevel
        let compressed = DispatchGroup()
        if codec != .none {
            DispatchQueue.global().async(group: compressed) {
                job.built = Result { try job.builder.buildInPlace(codec: codec, level: level) }
            }
        }
        appends.async { [self] in
            defer {
                spare.withLock { $0.append(SpareBuilder(builder: job.builder)) }
                slots.signal()
            }
            if codec == .none {
                job.built = Result { try job.builder.buildInPlace(codec: codec, level: level) }
            } else {
                compressed.wait()
            }
            guard failure.withLock({ $0 == nil }) else { return }
            do {
                let (bytes, header) = try job.built.get()
                let partition = topic.partitions[job.partition]
                let written = try partition.appendUnsynced(bytes, header: header)
                let result = AppendResult(partition: job.partition, baseOffset: written.base, count: job.count)
                // Every acknowledgement of a partition goes through its sync queue, so they
                // come out in offset order whether or not this batch needed an fsync.
                syncs[job.partition].async { [self] in
                    do {
                        if written.mustSync { try partition.sync(upTo: written.appendedUpTo) }
                        // After a failure nothing later is acknowledged: the caller retries from there.
                        guard failure.withLock({ $0 == nil }) else { return }
                        acknowledge(result)
                    } catch {
                        fail(error)
                    }
                }
            } catch {
                fail(error)
            }
        }
    }

    /// Records a result and calls the callback, one at a time: acknowledgements come from
    /// several partitions' sync queues at once.
    private func acknowledge(_ result: AppendResult) {
        results.withLock { $0.append(result) }
        guard let callback = onAppend.withLock({ $0 }) else { return }
        callbacks.withLock { _ in callback(result) }
    }

    private func fail(_ error: any Error) {
        failure.withLock { $0 = $0 ?? error }
    }

    /// Waits for every submitted batch; returns their results or the first error.
    func waitForAll() throws -> [AppendResult] {
        // From an `onAppend` callback this would wait for itself.
        dispatchPrecondition(condition: .notOnQueue(appends))
        for queue in syncs { dispatchPrecondition(condition: .notOnQueue(queue)) }
        appends.sync {}
        for queue in syncs { queue.sync {} }
        try throwIfFailed()
        return results.withLock { results in
            defer { results.removeAll() }
            return results
        }
    }

    private func throwIfFailed() throws {
        if let failed = failure.withLock({ $0 }) { throw failed }
    }
}
