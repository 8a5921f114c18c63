import Glibc
import Logging
import Synchronization
import SystemPackage

/// One ordered, append-only partition of a topic: a directory of segments.
///
/// Its files are opened on first use (a read, an append, an offset asked for), not when
/// the log opens, so a command costs what it touches, not what the data directory
/// holds; a partition an unclean stop left is recovered then, before anything sees it.
///
/// Appends and reads may come from any thread. Appends are serialised by one lock held
/// only for the write itself; fsync happens outside it, and appenders that wait for the
/// same fsync share it (group commit). Reads copy bytes outside the lock.
public final class Partition: Sendable {
    public let topic: String
    public let id: Int
    public let directory: String
    let config: TopicConfig
    /// The last stop left this partition unclean: its first use recovers it.
    let needsRecovery: Bool
    private let logger: Logger
    private let state: Mutex<State>
    /// Serialises fsyncs; never taken while `state` is held, never held while taking `state`
    /// for long (only to read the active file), so the two cannot deadlock.
    private let syncLock = Mutex<Void>(())
    /// Bytes (of `appendedBytes`) known to be on disk.
    private let syncedBytes = Atomic<Int64>(0)
    private let lastSyncMillis = Atomic<Int64>(currentTimeMillis())
    /// fsyncs of the active segment done by `sync`, for tests of group commit.
    let syncCount = Atomic<Int>(0)
    /// Whether the segments are open (set once, under the lock): the housekeeping timer
    /// reads it without taking the lock.
    private let opened = Atomic<Bool>(false)
    private let lastRetentionMillis = Atomic<Int64>(currentTimeMillis())
    private let lastPresenceCheckMillis = Atomic<Int64>(currentTimeMillis())
    /// Made on first use: registering a partition's metrics (with Prometheus, a registry
    /// insert that copies the registry) must cost per partition used, not per partition.
    private let madeMetrics = Mutex<PartitionMetrics?>(nil)
    /// Fires when readers may see more (new offsets, or the partition closed).
    public let newData = ChangeSignal()

    private struct State: ~Copyable {
        /// False until the first use opens the segments; everything below but `closed`
        /// is meaningless until then.
        var opened = false
        var segments: [Segment] = []
        /// The offset the next appended record gets (the log end offset).
        var nextOffset: Int64 = 0
        /// Offsets below this are visible to readers. Equal to `nextOffset` except under
        /// `always`, where it follows the fsyncs.
        var highWatermark: Int64 = 0
        /// Bytes of the active segment readers may see (the high watermark's position).
        var visibleActiveSize: Int64 = 0
        /// Total bytes ever appended in this process; what fsync progress is measured in.
        var appendedBytes: Int64 = 0
        /// The offset in the `recovery-point` file: a close rewrites it only if it moved.
        var recoveryPoint: Int64 = 0
        /// What recovery found when the segments were opened.
        var damage: [Damage] = []
        /// Why opening failed: every later use throws it, not opening again, so that a
        /// partition that could not be checked at the log's open (a group's committed
        /// offset against its end) is not used by this process at all.
        var openFailure: (any Error)?
        var closed = false
        /// Set when an fsync failed: no append or sync is accepted after it.
        var failedSync: FailedSync?
        /// Set when housekeeping found the directory or the active segment gone: appends,
        /// flushes and `checkPresent` throw it, and `close` has nothing left to write.
        var deleted: WeirLogError?

        var active: Segment { segments[segments.count - 1] }
    }

    /// How often the background timer applies retention.
    static let retentionCheckIntervalMillis: Int64 = 60_000
    /// How often the background timer checks that the partition's files are still there.
    static let presenceCheckIntervalMillis: Int64 = 1_000

    struct FailedSync: Sendable {
        let error: any Error
    }

    /// What recovery found when the partition was opened.
    public struct Damage: Sendable, Equatable {
        public var file: String
        public var position: Int64
        public var reason: String
        public var bytesDropped: Int64
    }

    /// What recovery found when the segments were opened (opening them if they are not yet).
    public var damage: [Damage] { get throws { try withState { $0.damage } } }

    static let recoveryPointFile = "recovery-point"

    /// The partition in `directory`, not yet opened: nothing is read until it is used.
    /// `clean == false` (the last stop was unclean) makes the first use recover it.
    init(topic: String, id: Int, directory: String, config: TopicConfig, clean: Bool, logger: Logger) {
        self.topic = topic
        self.id = id
        self.directory = directory
        self.config = config
        self.needsRecovery = !clean
        var logger = logger
        logger[metadataKey: "partition"] = "\(topic)/\(id)"
        self.logger = logger
        self.state = Mutex(State())
    }

    private var metrics: PartitionMetrics {
        madeMetrics.withLock { made in
            if let made { return made }
            let metrics = PartitionMetrics(topic: topic, partition: id)
            made = metrics
            return metrics
        }
    }

    /// Whether the segments are open (the partition was used).
    var isOpen: Bool { opened.load(ordering: .acquiring) }

    /// Still as an unclean stop left it: never used since, so never recovered (a hint that
    /// may change at once; `close` gives the final word).
    var awaitsRecovery: Bool { needsRecovery && !isOpen }

    /// Runs `body` on the state under the lock, opening (and if need be recovering) the
    /// segments first when this is the partition's first use. Everything that reads or
    /// changes the segments goes through here, so none sees them unrecovered.
    private func withState<Result: Sendable>(_ body: (inout State) throws -> Result) throws -> Result {
        try state.withLock { state in
            if !state.opened {
                if let failure = state.openFailure { throw failure }
                do {
                    try open(&state)
                } catch {
                    state.openFailure = error
                    throw error
                }
            }
            return try body(&state)
        }
    }

    private func open(_ state: inout State) throws {
        guard !state.closed else {
            throw WeirLogError.io(operation: "open closed partition", path: directory, errno: EBADF)
        }
        // Every partition's directory is made with its topic, so a missing one was deleted
        // under the log: say so rather than start an empty partition in its place.
        guard FileSystem.exists(directory) else {
            throw WeirLogError.partitionDeleted(topic: topic, partition: id, path: directory)
        }
        let found: PartitionOpener.Opened
        do {
            found = try PartitionOpener.open(directory: directory, recover: needsRecovery, logger: logger)
        } catch {
            logger.error("could not open the partition", metadata: ["error": "\(error)"])
            throw error
        }
        let last = found.segments[found.segments.count - 1]
        state.segments = found.segments
        state.nextOffset = last.nextOffset
        state.highWatermark = last.nextOffset
        state.visibleActiveSize = last.size
        state.recoveryPoint = found.recoveryPoint
        state.damage = found.damage
        state.opened = true
        opened.store(true, ordering: .releasing)
        // Open and recovered: a retention that fails now is retried by the timer, and must
        // not make this first use (the log's check of committed offsets) fail.
        do {
            try enforceRetention(&state, now: currentTimeMillis())
        } catch {
            logger.error("retention failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Offsets and sizes

    /// The offset after the last record readers can see (Kafka's high watermark): the
    /// next offset to be assigned, or under `always` the next one after the last fsync.
    /// Each of these opens the partition on its first use, so each throws what opening
    /// it found: a partition that cannot be read has no offsets to stand in for.
    public var endOffset: Int64 { get throws { try withState { $0.highWatermark } } }
    /// The lowest offset still held; retention moves it up.
    public var startOffset: Int64 { get throws { try withState { $0.segments[0].baseOffset } } }
    public var sizeInBytes: Int64 { get throws { try withState { $0.segments.reduce(0) { $0 + $1.size } } } }
    public var segmentCount: Int { get throws { try withState { $0.segments.count } } }
    var segmentBaseOffsets: [Int64] { get throws { try withState { $0.segments.map(\.baseOffset) } } }

    // MARK: Append

    /// Appends encoded batches in order, assigning their base offsets, and returns the
    /// first batch's base offset once they are as durable as the topic's flush policy
    /// promises. Every batch is checked first — length, CRC, codec, each record — since
    /// it may come from outside (a Kafka client, a file).
    @discardableResult
    public func append(_ batches: [[UInt8]]) throws -> Int64 {
        let headers = try batches.map { try Self.checkAppendable($0, topic: topic, partition: id) }
        var first: Int64?
        var appendedUpTo: Int64 = 0
        var mustSync = false
        for (batch, header) in zip(batches, headers) {
            let result = try batch.withUnsafeBytes { try appendUnsynced($0, header: header) }
            first = first ?? result.base
            appendedUpTo = result.appendedUpTo
            mustSync = mustSync || result.mustSync
        }
        if mustSync { try sync(upTo: appendedUpTo) }
        return try first ?? endOffset
    }

    /// Writes one batch at the end of the log under the lock, rolling first if needed;
    /// the base offset goes into the file, the caller's bytes are not modified.
    func appendUnsynced(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws
        -> (base: Int64, appendedUpTo: Int64, mustSync: Bool)
    {
        let started = monotonicNanos()
        var published = false
        // Signalled after the lock is released (also when the append throws after a roll
        // published the old segment's tail).
        defer { if published { newData.signal() } }
        let result = try withState { state in
            let visibleBefore = (offset: state.highWatermark, activeSize: state.visibleActiveSize)
            defer { published = state.highWatermark != visibleBefore.offset || state.visibleActiveSize != visibleBefore.activeSize }
            guard !state.closed else {
                throw WeirLogError.io(operation: "append to closed partition", path: directory, errno: EBADF)
            }
            if let failed = state.failedSync { throw failed.error }
            if let deleted = state.deleted { throw deleted }
            let size = Int64(batch.count)
            let active = state.active
            let age = currentTimeMillis() - active.createdAt
            // Index entries hold offsets relative to the segment base in 32 bits.
            let relativeEnd = state.nextOffset - active.baseOffset + Int64(header.lastOffsetDelta)
            if !active.isEmpty && (active.size + size > config.segmentBytes || age > config.segmentMs || relativeEnd > Int64(Int32.max)) {
                try roll(&state)
            }
            var assigned = header
            assigned.baseOffset = state.nextOffset
            try state.active.append(batch, header: assigned)
            state.nextOffset = assigned.nextOffset
            state.appendedBytes += size
            if config.flush != .always { publish(&state, upTo: state.nextOffset, activeSize: state.active.size) }
            let synced = syncedBytes.load(ordering: .acquiring)
            let mustSync: Bool
            switch config.flush {
            case .always: mustSync = true
            case .interval: mustSync = config.flushIntervalBytes.map { state.appendedBytes - synced >= $0 } ?? false
            case .pagecache: mustSync = false
            }
            return (assigned.baseOffset, state.appendedBytes, mustSync)
        }
        metrics.appended(records: Int(header.recordsCount), bytes: batch.count, since: started)
        return result
    }

    /// Makes offsets below `offset` visible to readers; the caller signals `newData` once
    /// the lock is released. Under `always` this happens only after the fsync, so nothing a
    /// reader sees (and a group commits) can vanish in a power loss.
    private func publish(_ state: inout State, upTo offset: Int64, activeSize: Int64) {
        guard offset > state.highWatermark || activeSize > state.visibleActiveSize else { return }
        state.highWatermark = max(state.highWatermark, offset)
        state.visibleActiveSize = max(state.visibleActiveSize, activeSize)
    }

    /// Validates a batch from outside before it touches the log: shape, length, CRC,
    /// codec, and every record (decompressed), with offsets 0…n-1 as a producer writes them.
    static func checkAppendable(_ batch: [UInt8], topic: String, partition: Int) throws -> RecordBatchHeader {
        try batch.withUnsafeBytes { raw in
            do {
                guard raw.count >= RecordBatchHeader.size else { throw RecordBatchError.truncated }
                let header = try RecordBatchHeader(parsing: raw)
                try header.validateShape()
                guard header.totalSize == raw.count else { throw RecordBatchError.badLength(Int(header.batchLength)) }
                guard header.recordsCount > 0, header.lastOffsetDelta == header.recordsCount - 1 else {
                    throw RecordBatchError.badCounts(lastOffsetDelta: header.lastOffsetDelta, records: header.recordsCount)
                }
                var expected: Int64 = 0
                try RecordBatch(parsing: raw).forEachRecord { view in
                    guard view.offset - header.baseOffset == expected else {
                        throw RecordBatchError.malformedRecords("record \(expected) has offset delta \(view.offset - header.baseOffset)")
                    }
                    expected += 1
                }
                return header
            } catch let error as RecordBatchError {
                throw WeirLogError.corruptBatch(file: "append to \(topic)/\(partition)", position: 0, reason: error.description)
            }
        }
    }

    /// Starts a new segment at the next offset. The old one is fsynced first, so the
    /// recovery point can move to the new base and everything before it is visible.
    private func roll(_ state: inout State) throws {
        let old = state.active
        let started = monotonicNanos()
        try old.flush(sync: true)
        metrics.synced(since: started)
        publish(&state, upTo: state.nextOffset, activeSize: old.size)
        syncedBytes.max(state.appendedBytes)
        let segment = try Segment.create(directory: directory, baseOffset: state.nextOffset)
        try FileSystem.fsyncDirectory(directory)
        state.segments.append(segment)
        state.visibleActiveSize = 0
        try writeRecoveryPoint(state.nextOffset)
        state.recoveryPoint = state.nextOffset
        logger.debug("rolled segment", metadata: ["base_offset": "\(state.nextOffset)"])
        try enforceRetention(&state, now: currentTimeMillis())
    }

    private func writeRecoveryPoint(_ offset: Int64) throws {
        try FileSystem.writeAtomically(directory + "/" + Self.recoveryPointFile, Array("\(offset)\n".utf8))
    }

    // MARK: Durability

    /// fsyncs the active segment unless another caller already synced past `target`.
    /// Callers waiting here while one fsync runs are all covered by the next one.
    func sync(upTo target: Int64) throws {
        guard syncedBytes.load(ordering: .acquiring) < target else { return }
        try syncLock.withLock { _ in
            guard syncedBytes.load(ordering: .acquiring) < target else { return }
            let (file, appended, next, activeSize) = try withState { state in
                try state.failedSync.map { throw $0.error }
                return (state.active.file, state.appendedBytes, state.nextOffset, state.active.size)
            }
            do {
                let started = monotonicNanos()
                try FileSystem.fsync(file.fd, path: file.path)
                metrics.synced(since: started)
            } catch {
                // After a failed fsync the kernel may have dropped the dirty pages and a later
                // fsync can succeed anyway: nothing after this point can be trusted, so the
                // partition refuses appends until the log is reopened (and recovered).
                state.withLock { $0.failedSync = FailedSync(error: error) }
                logger.error(
                    "fsync failed; the partition refuses appends until the log is reopened",
                    metadata: ["file": "\(file.path)", "error": "\(error)"])
                throw error
            }
            syncCount.add(1, ordering: .relaxed)
            lastSyncMillis.store(currentTimeMillis(), ordering: .releasing)
            let published = state.withLock { state in
                defer { syncedBytes.max(appended) }
                // Publish before marking synced, so whoever sees the sync done also sees the data.
                // A roll in between already published everything before the new segment.
                guard config.flush == .always, state.active.file === file,
                    next > state.highWatermark || activeSize > state.visibleActiveSize
                else { return false }
                publish(&state, upTo: next, activeSize: activeSize)
                return true
            }
            if published { newData.signal() }
        }
    }

    /// Writes pending index entries and fsyncs everything appended so far.
    public func flush() throws {
        let appended = try state.withLock { state -> Int64 in
            // Never opened: nothing was appended, nothing to flush.
            guard state.opened else { return 0 }
            if let deleted = state.deleted { throw deleted }
            try state.active.flush(sync: false)
            return state.appendedBytes
        }
        try sync(upTo: appended)
    }

    /// The background timer's work: once a second, check the files are still there (a
    /// deleted partition does nothing more); for the `interval` policy, fsync when the
    /// interval has passed; for every policy, retention once a minute.
    func performDueWork(now: Int64) throws {
        guard isOpen else { return try retainUnopened(now: now) }
        if now - lastPresenceCheckMillis.load(ordering: .acquiring) >= Self.presenceCheckIntervalMillis {
            lastPresenceCheckMillis.store(now, ordering: .releasing)
            noteIfDeleted()
        }
        guard state.withLock({ $0.deleted == nil }) else { return }
        let flushDue = config.flush == .interval && now - lastSyncMillis.load(ordering: .acquiring) >= config.flushIntervalMs
        let retentionDue = now - lastRetentionMillis.load(ordering: .acquiring) >= Self.retentionCheckIntervalMillis
        if retentionDue { lastRetentionMillis.store(now, ordering: .releasing) }
        if flushDue { try flush() }
        if retentionDue { try enforceRetention(now: now) }
    }

    /// Throws `partitionDeleted` once housekeeping found the partition's files gone, so a
    /// reader that appends nothing stops too.
    public func checkPresent() throws {
        try state.withLock { try $0.deleted.map { throw $0 } }
    }

    /// Marks the partition deleted if its directory or active segment is gone (deleted
    /// under the running log: appends would go to unlinked files and be lost), and wakes
    /// its waiting readers.
    private func noteIfDeleted() {
        let deletedNow = state.withLock { state -> Bool in
            guard state.opened, !state.closed, state.deleted == nil else { return false }
            let segment = state.active.path
            guard let missing = [directory, segment].first(where: { !FileSystem.exists($0) }) else { return false }
            state.deleted = .partitionDeleted(topic: topic, partition: id, path: missing)
            return true
        }
        // Only when it was found deleted: this check runs every second, and a signal wakes
        // every waiting reader.
        if deletedNow { newData.signal() }
    }

    /// Clean shutdown: what was appended since the last fsync to disk, indexes written,
    /// recovery point at the end. A partition never opened, or opened and not appended
    /// to, writes nothing (nor does a deleted one: its files are gone). After a failed
    /// fsync it throws that failure instead: the log must not be marked clean, so that
    /// the next open recovers the partition.
    ///
    /// Returns whether the partition is closed as an unclean stop left it: never opened,
    /// so never recovered. Decided under the lock that opening takes, so no use can slip
    /// in between: once closed, a partition is never opened.
    @discardableResult
    func close() throws -> Bool {
        defer { newData.signal() }
        return try state.withLock { state in
            let unrecovered = needsRecovery && !state.opened
            guard !state.closed else { return unrecovered }
            state.closed = true
            guard state.opened, state.deleted == nil else { return unrecovered }
            if let failed = state.failedSync { throw failed.error }
            if state.appendedBytes > syncedBytes.load(ordering: .acquiring) { try state.active.fsyncLog() }
            try state.active.flushIndexes(sync: true)
            if state.nextOffset != state.recoveryPoint {
                try writeRecoveryPoint(state.nextOffset)
                state.recoveryPoint = state.nextOffset
            }
            return false
        }
    }

    // MARK: Retention

    /// Deletes whole non-active segments older than `retentionMs` (by their newest
    /// record) or beyond `retentionBytes`, which moves the start offset up.
    public func enforceRetention(now: Int64 = currentTimeMillis()) throws {
        try withState { try enforceRetention(&$0, now: now) }
    }

    /// Retention for a partition not opened yet: only one with more than one segment can
    /// have any to apply (the active segment stays), so only such a one is opened for it.
    private func retainUnopened(now: Int64) throws {
        guard config.retentionMs != nil || config.retentionBytes != nil,
            now - lastRetentionMillis.load(ordering: .acquiring) >= Self.retentionCheckIntervalMillis
        else { return }
        lastRetentionMillis.store(now, ordering: .releasing)
        let segments = try FileSystem.listDirectory(directory).count { Segment.baseOffset(ofLogFile: $0) != nil }
        if segments > 1 { try enforceRetention(now: now) }
    }

    private func enforceRetention(_ state: inout State, now: Int64) throws {
        var total = state.segments.reduce(0) { $0 + $1.size }
        var deleted = false
        while state.segments.count > 1 {
            let oldest = state.segments[0]
            let expired = config.retentionMs.map { oldest.maxTimestamp < now - $0 } ?? false
            let oversize = config.retentionBytes.map { total - oldest.size >= $0 } ?? false
            guard expired || oversize else { break }
            try oldest.delete()
            state.segments.removeFirst()
            total -= oldest.size
            deleted = true
            logger.info(
                "retention deleted segment",
                metadata: [
                    "base_offset": "\(oldest.baseOffset)", "reason": "\(expired ? "age" : "size")",
                ])
        }
        if deleted { try FileSystem.fsyncDirectory(directory) }
    }

    // MARK: Read

    /// Whole batches starting with the one that holds `offset`, up to about `maxBytes`
    /// (at least one batch, however large). Empty at the end of the log.
    public func fetch(from offset: Int64, maxBytes: Int = 1 << 20) throws -> FetchResult {
        var bytes: [UInt8] = []
        let bounds = try fetch(from: offset, maxBytes: maxBytes) { count, fill in
            bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                initialized = try fill(UnsafeMutableRawBufferPointer(buffer))
            }
        }
        return FetchResult(bytes: bytes, endOffset: bounds.endOffset, startOffset: bounds.startOffset)
    }

    /// `fetch(from:maxBytes:)` into the caller's memory: `into` is called (at most once)
    /// with how many bytes will be read and a `fill` that reads them into the buffer it is
    /// given (at least that large) and returns the length of the whole batches in them.
    /// A Kafka listener reads this way straight into the response it sends.
    public func fetch(
        from offset: Int64, maxBytes: Int,
        into: (_ count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Void
    ) throws -> (endOffset: Int64, startOffset: Int64) {
        let located = try locate(offset)
        guard let (file, position, segmentSize) = located.found else { return (located.end, located.start) }
        let want = try fetchLength(file, at: position, maxBytes: maxBytes, segmentSize: segmentSize)
        try into(want) { buffer in
            let read = try FileSystem.read(
                file.fd, at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]), path: file.path)
            return Self.wholeBatchesLength(UnsafeRawBufferPointer(rebasing: buffer[..<read]))
        }
        return (located.end, located.start)
    }

    /// What `fetch(from:maxBytes:)` would read, as a place in a segment file instead of
    /// bytes: a Kafka listener sends them from the file (`sendfile`) without reading them
    /// into memory. The span owns a descriptor of its own (the segment may be deleted
    /// meanwhile): the caller closes it. Nil when there is nothing at `offset` yet.
    public func fetchSpan(from offset: Int64, maxBytes: Int) throws -> (
        span: FileSpan?, endOffset: Int64, startOffset: Int64
    ) {
        let located = try locate(offset)
        guard let (file, position, segmentSize) = located.found else { return (nil, located.end, located.start) }
        let want = try fetchLength(file, at: position, maxBytes: maxBytes, segmentSize: segmentSize)
        // Whole batches only, as `fetch` sends: walk their headers.
        var length: Int64 = 0
        var header = [UInt8](repeating: 0, count: 12)
        while length + 12 <= Int64(want) {
            let read = try header.withUnsafeMutableBytes {
                try FileSystem.read(file.fd, at: position + length, into: $0, path: file.path)
            }
            guard read == 12 else { break }
            let batch = Int64(Int32(bigEndian: header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int32.self) }))
            guard batch > 0, length + batch + 12 <= Int64(want) else { break }
            length += batch + 12
        }
        guard length > 0 else { return (nil, located.end, located.start) }
        // Close-on-exec, as the log's own: a plugin spawned meanwhile must not inherit it.
        let descriptor = fcntl(file.fd.rawValue, F_DUPFD_CLOEXEC, 0)
        guard descriptor >= 0 else { throw WeirLogError.io(operation: "dup", path: file.path, errno: errno) }
        return (FileSpan(descriptor: descriptor, offset: position, length: Int(length)), located.end, located.start)
    }

    /// The segment file and position of the batch holding `offset` (nil when `offset` is
    /// the end), with the partition's end and start as they were then.
    private func locate(_ offset: Int64) throws -> (found: (SharedFile, Int64, Int64)?, end: Int64, start: Int64) {
        try withState { state in
            let start = state.segments[0].baseOffset
            let end = state.highWatermark
            guard offset >= start, offset <= end else {
                throw WeirLogError.offsetOutOfRange(topic: topic, partition: id, offset: offset, start: start, end: end)
            }
            guard offset < end else { return (nil, end, start) }
            var index = Self.segmentIndex(state.segments, containing: offset)
            while index < state.segments.count {
                let segment = state.segments[index]
                let visible = index == state.segments.count - 1 ? state.visibleActiveSize : segment.size
                if let position = try segment.position(of: offset), position < visible {
                    return ((segment.file, position, visible), end, start)
                }
                index += 1
            }
            return (nil, end, start)
        }
    }

    /// How many bytes a fetch from `position` reads: `maxBytes`, or the first batch whole
    /// when it is larger, within the segment.
    private func fetchLength(_ file: SharedFile, at position: Int64, maxBytes: Int, segmentSize: Int64) throws -> Int {
        let first = try FileSystem.read(file.fd, at: position, count: RecordBatchHeader.size, path: file.path)
        let firstSize = try first.withUnsafeBytes { try RecordBatchHeader(parsing: $0) }.totalSize
        return Int(min(Int64(max(maxBytes, firstSize)), segmentSize - position))
    }

    private static func segmentIndex(_ segments: [Segment], containing offset: Int64) -> Int {
        var low = 0
        var high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if segments[mid].baseOffset <= offset { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }

    /// The length of the prefix of `bytes` made of complete batches.
    static func wholeBatchesLength(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { wholeBatchesLength($0) }
    }

    static func wholeBatchesLength(_ raw: UnsafeRawBufferPointer) -> Int {
        var position = 0
        while raw.count - position >= RecordBatchHeader.size {
            let length = Int(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: position + 8, as: Int32.self)))
            let size = length + RecordBatchHeader.logOverhead
            guard length > 0, position + size <= raw.count else { break }
            position += size
        }
        return position
    }

    /// The first offset whose record timestamp is ≥ `timestamp`, or the end offset if none.
    public func offset(forTimestamp timestamp: Int64) throws -> Int64 {
        try firstRecord(atOrAfterTimestamp: timestamp)?.offset ?? endOffset
    }

    /// The first readable record whose timestamp is ≥ `timestamp`: its offset and
    /// timestamp, or nil if every record is older.
    public func firstRecord(atOrAfterTimestamp timestamp: Int64) throws -> (offset: Int64, timestamp: Int64)? {
        try withState { state -> (offset: Int64, timestamp: Int64)? in
            for segment in state.segments where segment.maxTimestamp >= timestamp {
                let from = segment.timeIndex.startOffset(forTimestamp: timestamp)
                guard var position = try segment.position(of: from) else { continue }
                while let header = try segment.readHeader(at: position) {
                    if header.maxTimestamp >= timestamp {
                        let bytes = try FileSystem.read(segment.file.fd, at: position, count: header.totalSize, path: segment.path)
                        var found: (offset: Int64, timestamp: Int64)?
                        try bytes.withUnsafeBytes { raw in
                            try RecordBatch(parsing: raw).forEachRecord { view in
                                if found == nil, view.offset >= from, view.timestamp >= timestamp { found = (view.offset, view.timestamp) }
                            }
                        }
                        if let found { return found.offset < state.highWatermark ? found : nil }
                    }
                    position += Int64(header.totalSize)
                }
            }
            return nil
        }
    }

    /// The headers of the batches in the last `segments` segments, oldest first, as stored
    /// (with their offsets): what a broker rebuilds its idempotent producers' state from.
    public func recentBatchHeaders(segments count: Int = 2) throws -> [RecordBatchHeader] {
        try withState { state in
            var headers: [RecordBatchHeader] = []
            for (index, segment) in state.segments.enumerated().suffix(count) {
                let visible = index == state.segments.count - 1 ? state.visibleActiveSize : segment.size
                var position: Int64 = 0
                while position < visible, let header = try segment.readHeader(at: position) {
                    headers.append(header)
                    position += Int64(header.totalSize)
                }
            }
            return headers
        }
    }

    // MARK: Waiting for data

    /// Whether readers can see an offset ≥ `offset`, or the partition is closed, was
    /// deleted under the log or cannot be opened (a wait for data ends either way; the
    /// read that follows reports why).
    public func hasData(atOrAfter offset: Int64) -> Bool {
        (try? withState { $0.highWatermark > offset || $0.closed || $0.deleted != nil }) ?? true
    }

    /// Returns once the partition holds an offset ≥ `offset` (or is closed, or the task
    /// is cancelled). No polling: appends wake the waiters.
    public func waitForData(atOrAfter offset: Int64) async {
        while !Task.isCancelled {
            let mark = newData.mark()
            if hasData(atOrAfter: offset) { return }
            await mark.wait(until: nil)
        }
    }

    /// Blocks the calling thread until one of `readers` has data at its position (or its
    /// partition closed) or `deadline` passes. Appends wake it; nothing polls.
    @available(*, noasync, message: "blocks its thread; await the async waitForData")
    public static func waitForData(_ readers: [PartitionReader], until deadline: ContinuousClock.Instant) {
        let marks = readers.map { $0.partition.newData.mark() }
        if readers.contains(where: { $0.partition.hasData(atOrAfter: $0.position) }) { return }
        ChangeSignal.wait(for: marks, until: deadline)
    }

    /// Suspends the task until one of `readers` has data at its position (or its partition
    /// closed), `deadline` passes or the task is cancelled.
    public static func waitForData(_ readers: [PartitionReader], until deadline: ContinuousClock.Instant) async {
        let marks = readers.map { $0.partition.newData.mark() }
        if readers.contains(where: { $0.partition.hasData(atOrAfter: $0.position) }) { return }
        await ChangeSignal.wait(for: marks, until: deadline)
    }
}

/// Batches read from a partition, with the partition's bounds at the time of the read.
public struct FetchResult: Sendable {
    /// Whole RecordBatch v2 batches back to back; the first may start before the requested offset.
    public var bytes: [UInt8]
    public var endOffset: Int64
    public var startOffset: Int64
}

extension Atomic where Value == Int64 {
    /// Raises the value to at least `candidate`.
    func max(_ candidate: Int64) {
        var current = load(ordering: .relaxed)
        while current < candidate {
            let (exchanged, original) = compareExchange(expected: current, desired: candidate, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }
}
