import Glibc
import Logging
import Synchronization
import SystemPackage

/// One ordered, append-only partition of a topic: a directory of segments.
///
/// Appends and reads may come from any thread. Appends are serialised by one lock held
/// only for the write itself; fsync happens outside it, and appenders that wait for the
/// same fsync share it (group commit). Reads copy bytes outside the lock.
public final class Partition: Sendable {
    public let topic: String
    public let id: Int
    public let directory: String
    let config: TopicConfig
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
    private let lastRetentionMillis = Atomic<Int64>(currentTimeMillis())
    private let lastPresenceCheckMillis = Atomic<Int64>(currentTimeMillis())
    private let metrics: PartitionMetrics
    /// Fires when readers may see more (new offsets, or the partition closed).
    public let newData = ChangeSignal()

    private struct State: ~Copyable {
        var segments: [Segment]
        /// The offset the next appended record gets (the log end offset).
        var nextOffset: Int64
        /// Offsets below this are visible to readers. Equal to `nextOffset` except under
        /// `always`, where it follows the fsyncs.
        var highWatermark: Int64
        /// Bytes of the active segment readers may see (the high watermark's position).
        var visibleActiveSize: Int64
        /// Total bytes ever appended in this process; what fsync progress is measured in.
        var appendedBytes: Int64 = 0
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

    public let damage: [Damage]

    static let recoveryPointFile = "recovery-point"

    /// Opens (or creates) the partition in `directory`. After an unclean shutdown
    /// (`clean == false`) every segment from the recovery point on is checked batch by
    /// batch, torn tails are cut, and later segments are deleted.
    init(topic: String, id: Int, directory: String, config: TopicConfig, clean: Bool, logger: Logger) throws {
        self.topic = topic
        self.id = id
        self.directory = directory
        self.config = config
        metrics = PartitionMetrics(topic: topic, partition: id)
        var logger = logger
        logger[metadataKey: "partition"] = "\(topic)/\(id)"
        self.logger = logger
        if !FileSystem.exists(directory) {
            try FileSystem.createDirectories(directory)
            try FileSystem.fsyncDirectory(FileSystem.directory(of: directory))
        }

        let names = try FileSystem.listDirectory(directory)
        for name in names where name.hasSuffix(".tmp") { try FileSystem.remove(directory + "/" + name) }
        let bases = names.compactMap(Segment.baseOffset(ofLogFile:)).sorted()
        let recoveryPoint = clean ? Int64.max : Self.readRecoveryPoint(directory)
        let recoverFrom = bases.last(where: { $0 <= recoveryPoint }) ?? 0

        var segments: [Segment] = []
        var damage: [Damage] = []
        var stale: [Int64] = []
        for (i, base) in bases.enumerated() {
            let before = try FileSystem.fileSize(directory + "/" + Segment.fileName(base, ".log"))
            let (segment, found) = try Segment.open(directory: directory, baseOffset: base, recover: !clean && base >= recoverFrom)
            segments.append(segment)
            if case .damaged(let position, let reason) = found {
                damage.append(Damage(file: segment.path, position: position, reason: reason, bytesDropped: before - position))
                stale = Array(bases[(i + 1)...])
                break
            }
        }
        for base in stale {
            let path = directory + "/" + Segment.fileName(base, ".log")
            damage.append(
                Damage(
                    file: path, position: 0, reason: "follows a damaged segment",
                    bytesDropped: (try? FileSystem.fileSize(path)) ?? 0))
            for suffix in [".log", ".index", ".timeindex"] {
                try FileSystem.remove(directory + "/" + Segment.fileName(base, suffix))
            }
        }
        // An empty segment left behind a damaged one would break offset continuity.
        while segments.count > 1, segments[segments.count - 1].isEmpty,
            segments[segments.count - 1].baseOffset != segments[segments.count - 2].nextOffset
        {
            try segments.removeLast().delete()
        }
        if segments.isEmpty {
            segments.append(try Segment.create(directory: directory, baseOffset: 0))
        }
        if !stale.isEmpty || segments.count != bases.count { try FileSystem.fsyncDirectory(directory) }
        for problem in damage {
            logger.warning(
                "recovered a damaged log tail",
                metadata: [
                    "file": "\(problem.file)", "position": "\(problem.position)",
                    "reason": "\(problem.reason)", "bytes_dropped": "\(problem.bytesDropped)",
                ])
        }
        self.damage = damage
        // What survived the last process is on disk from here on, so it may be served.
        if !clean { try segments[segments.count - 1].fsyncLog() }
        let last = segments[segments.count - 1]
        self.state = Mutex(
            State(segments: segments, nextOffset: last.nextOffset, highWatermark: last.nextOffset, visibleActiveSize: last.size))
    }

    private static func readRecoveryPoint(_ directory: String) -> Int64 {
        guard let bytes = try? FileSystem.readWholeFile(directory + "/" + recoveryPointFile) else { return 0 }
        return Int64(String(decoding: bytes, as: UTF8.self).trimmingWhitespace()) ?? 0
    }

    // MARK: Offsets and sizes

    /// The offset after the last record readers can see (Kafka's high watermark): the
    /// next offset to be assigned, or under `always` the next one after the last fsync.
    public var endOffset: Int64 { state.withLock { $0.highWatermark } }
    /// The lowest offset still held; retention moves it up.
    public var startOffset: Int64 { state.withLock { $0.segments[0].baseOffset } }
    public var sizeInBytes: Int64 { state.withLock { $0.segments.reduce(0) { $0 + $1.size } } }
    public var segmentCount: Int { state.withLock { $0.segments.count } }
    var segmentBaseOffsets: [Int64] { state.withLock { $0.segments.map(\.baseOffset) } }

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
        return first ?? endOffset
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
        let result = try state.withLock { state in
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
            let (file, appended, next, activeSize) = try state.withLock { state in
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
            guard !state.closed, state.deleted == nil else { return false }
            let segment = state.active.path
            guard let missing = [directory, segment].first(where: { !FileSystem.exists($0) }) else { return false }
            state.deleted = .partitionDeleted(topic: topic, partition: id, path: missing)
            return true
        }
        // Only when it was found deleted: this check runs every second, and a signal wakes
        // every waiting reader.
        if deletedNow { newData.signal() }
    }

    /// Clean shutdown: everything to disk, indexes written, recovery point at the end
    /// (nothing for a deleted partition: its files are gone).
    func close() throws {
        defer { newData.signal() }
        try state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            guard state.deleted == nil else { return }
            try state.active.flush(sync: true)
            try writeRecoveryPoint(state.nextOffset)
        }
    }

    // MARK: Retention

    /// Deletes whole non-active segments older than `retentionMs` (by their newest
    /// record) or beyond `retentionBytes`, which moves the start offset up.
    public func enforceRetention(now: Int64 = currentTimeMillis()) throws {
        try state.withLock { try enforceRetention(&$0, now: now) }
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
        try state.withLock { state in
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
        try state.withLock { state -> (offset: Int64, timestamp: Int64)? in
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
        try state.withLock { state in
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

    /// Whether readers can see an offset ≥ `offset`, or the partition is closed or was
    /// deleted under the log (a wait for data ends either way).
    public func hasData(atOrAfter offset: Int64) -> Bool {
        state.withLock { $0.highWatermark > offset || $0.closed || $0.deleted != nil }
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
