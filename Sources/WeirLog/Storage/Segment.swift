import SystemPackage

/// An open file that closes itself when the last user lets go, so a reader keeps
/// a segment readable even while retention deletes it.
final class SharedFile: Sendable {
    let fd: FileDescriptor
    let path: String

    init(fd: FileDescriptor, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { try? fd.close() }
}

/// One segment of a partition: `<base offset>.log` with its `.index` and `.timeindex`.
///
/// Not thread-safe: only used under its partition's lock.
final class Segment: @unchecked Sendable {
    // unchecked: mutable, and used only under its partition's lock; a Mutex's region checking cannot follow it through the partition's methods.
    /// Kafka's `index.interval.bytes`: an index entry about every 4 KiB of batches.
    static let indexIntervalBytes = 4096

    let baseOffset: Int64
    let file: SharedFile
    let offsetIndex: OffsetIndex
    let timeIndex: TimeIndex
    private(set) var size: Int64
    /// The offset after the last batch in this segment.
    private(set) var nextOffset: Int64
    /// The first batch's base timestamp: a segment's age for rolling counts from it.
    private(set) var firstTimestamp: Int64?
    private(set) var maxTimestamp: Int64 = -1
    /// When the segment began, for rolling by age: creation time for a new segment; for
    /// one found on disk, its first record's timestamp (if older than now).
    private(set) var createdAt: Int64 = currentTimeMillis()
    private var bytesSinceIndexEntry = 0

    var path: String { file.path }
    var isEmpty: Bool { size == 0 }

    static func fileName(_ baseOffset: Int64, _ suffix: String) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    /// Parses `00000000000000000123.log` into 123.
    static func baseOffset(ofLogFile name: String) -> Int64? {
        guard name.hasSuffix(".log"), name.utf8.count == 24 else { return nil }
        return Int64(name.dropLast(4))
    }

    private init(directory: String, baseOffset: Int64, fd: FileDescriptor, size: Int64, loadIndexes: Bool) throws {
        self.baseOffset = baseOffset
        self.file = SharedFile(fd: fd, path: directory + "/" + Self.fileName(baseOffset, ".log"))
        self.offsetIndex = try OffsetIndex(
            path: directory + "/" + Self.fileName(baseOffset, ".index"), baseOffset: baseOffset, load: loadIndexes)
        self.timeIndex = try TimeIndex(
            path: directory + "/" + Self.fileName(baseOffset, ".timeindex"), baseOffset: baseOffset, load: loadIndexes)
        self.size = size
        self.nextOffset = baseOffset
    }

    /// A new, empty segment; the caller fsyncs the directory.
    static func create(directory: String, baseOffset: Int64) throws -> Segment {
        let path = directory + "/" + fileName(baseOffset, ".log")
        let fd = try FileSystem.open(path, .readWrite, create: true)
        let segment = try Segment(directory: directory, baseOffset: baseOffset, fd: fd, size: 0, loadIndexes: false)
        try segment.offsetIndex.flush(rewrite: true, sync: false)
        try segment.timeIndex.flush(rewrite: true, sync: false)
        return segment
    }

    /// Opens an existing segment. With `recover`, every batch is checked and the indexes
    /// rebuilt; the file is truncated at the first batch that does not hold, and the
    /// result says where. Without it, the indexes on disk are trusted and only the last
    /// batch is read to learn the next offset.
    static func open(directory: String, baseOffset: Int64, recover: Bool) throws -> (Segment, damage: SegmentScanner.End?) {
        let path = directory + "/" + fileName(baseOffset, ".log")
        let fd = try FileSystem.open(path, .readWrite)
        let size = try FileSystem.fileSize(path)
        let segment = try Segment(directory: directory, baseOffset: baseOffset, fd: fd, size: size, loadIndexes: !recover)
        var damage: SegmentScanner.End?
        if recover {
            damage = try segment.recover()
        } else if segment.offsetIndex.count == 0 && size > 0 {
            // A segment of a few small batches has no index entries to trust: read them all.
            // Nothing is written unless that finds more than the empty indexes on disk.
            damage = try segment.recover(rewriteUnchanged: segment.timeIndex.count != 0)
        } else if try !segment.loadTail() {
            // The files disagree although the last stop was clean (a disk problem, a hand
            // edit): check the whole segment rather than trust it.
            damage = try segment.recover()
        }
        segment.createdAt = min(segment.firstTimestamp ?? segment.createdAt, segment.createdAt)
        return (segment, damage)
    }

    /// Rebuilds the indexes from the batches and cuts a torn or corrupt tail. Without
    /// `rewriteUnchanged`, indexes that were empty and are rebuilt empty from an intact
    /// segment are left as they are on disk.
    private func recover(rewriteUnchanged: Bool = true) throws -> SegmentScanner.End? {
        offsetIndex.removeAll()
        timeIndex.removeAll()
        bytesSinceIndexEntry = 0
        firstTimestamp = nil
        maxTimestamp = -1
        nextOffset = baseOffset
        var scanner = SegmentScanner(fd: file.fd, path: path, expectedBaseOffset: baseOffset)
        let end = try scanner.scan(from: 0, to: size) { position, header, _ in
            noteAppended(header: header, position: position)
            return true
        }
        var damage: SegmentScanner.End?
        if case .damaged = end {
            damage = end
            try FileSystem.truncate(file.fd, to: end.position, path: path)
            try FileSystem.fsync(file.fd, path: path)
        }
        size = end.position
        if rewriteUnchanged || damage != nil || offsetIndex.count > 0 || timeIndex.count > 0 {
            try offsetIndex.flush(rewrite: true, sync: true)
            try timeIndex.flush(rewrite: true, sync: true)
        }
        return damage
    }

    /// Learns next offset and timestamps of a cleanly closed segment from its index and
    /// tail; false if the tail does not parse.
    private func loadTail() throws -> Bool {
        guard offsetIndex.isConsistent(logSize: size) else { return false }
        let start = offsetIndex.positions.last.map(Int64.init) ?? 0
        guard let first = try? readHeader(at: 0), first.baseOffset == baseOffset else { return size == 0 }
        firstTimestamp = first.baseTimestamp
        maxTimestamp = timeIndex.timestamps.last ?? -1
        if let last = offsetIndex.lastOffset {
            guard let header = try? readHeader(at: start), header.lastOffset == last else { return false }
        }
        var scanner = SegmentScanner(fd: file.fd, path: path)
        scanner.checkCRC = false
        if start == 0 { scanner.expectedBaseOffset = baseOffset }
        let end = try scanner.scan(from: start, to: size) { _, header, _ in
            nextOffset = header.nextOffset
            maxTimestamp = max(maxTimestamp, header.maxTimestamp)
            return true
        }
        bytesSinceIndexEntry = Int(size - start)
        if case .damaged = end { return false }
        return timeIndex.isConsistent(lastOffset: nextOffset - 1)
    }

    /// The header of the batch at `position`, checked for shape; nil past the end.
    func readHeader(at position: Int64) throws -> RecordBatchHeader? {
        guard position >= 0, position + Int64(RecordBatchHeader.size) <= size else { return nil }
        let bytes = try FileSystem.read(file.fd, at: position, count: RecordBatchHeader.size, path: path)
        do {
            let header = try bytes.withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
            try header.validateShape()
            guard position + Int64(header.totalSize) <= size else { throw RecordBatchError.truncated }
            return header
        } catch let error as RecordBatchError {
            throw WeirLogError.corruptBatch(file: path, position: position, reason: error.description)
        }
    }

    /// Appends one encoded batch at the end of the file with `header.baseOffset` written
    /// over its first 8 bytes (the caller's buffer is left as it is).
    func append(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws {
        var base = header.baseOffset.bigEndian
        try withUnsafeBytes(of: &base) { prefix in
            try FileSystem.write(file.fd, at: size, [prefix, UnsafeRawBufferPointer(rebasing: batch[8...])], path: path)
        }
        noteAppended(header: header, position: size)
        size += Int64(header.totalSize)
    }

    private func noteAppended(header: RecordBatchHeader, position: Int64) {
        if firstTimestamp == nil { firstTimestamp = header.baseTimestamp }
        if bytesSinceIndexEntry > Self.indexIntervalBytes {
            offsetIndex.append(offset: header.lastOffset, position: position)
            timeIndex.append(timestamp: max(maxTimestamp, header.maxTimestamp), offset: header.lastOffset)
            bytesSinceIndexEntry = 0
        }
        bytesSinceIndexEntry += header.totalSize
        maxTimestamp = max(maxTimestamp, header.maxTimestamp)
        nextOffset = header.nextOffset
    }

    /// The position of the batch holding `offset`, found from the index and a short scan
    /// of batch headers; nil when `offset` lies beyond this segment's batches.
    func position(of offset: Int64) throws -> Int64? {
        var position = offsetIndex.position(for: offset)
        while let header = try readHeader(at: position) {
            if header.lastOffset >= offset { return position }
            position += Int64(header.totalSize)
        }
        return nil
    }

    func flush(sync: Bool) throws {
        if sync { try FileSystem.fsync(file.fd, path: path) }
        try flushIndexes(sync: sync)
    }

    /// Writes pending index entries; with `sync`, fsyncs each index file written since
    /// its last fsync (and only those).
    func flushIndexes(sync: Bool) throws {
        try offsetIndex.flush(sync: sync)
        try timeIndex.flush(sync: sync)
    }

    func fsyncLog() throws { try FileSystem.fsync(file.fd, path: path) }

    /// Deletes the segment's three files; an open reader keeps the log readable.
    func delete() throws {
        try FileSystem.remove(path)
        try FileSystem.remove(offsetIndex.path)
        try FileSystem.remove(timeIndex.path)
    }
}
