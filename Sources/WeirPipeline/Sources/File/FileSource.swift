import Foundation
import Logging
import WeirLog
import WeirValues

/// The `file` and `tail` sources: read files matching globs line by line into a topic.
///
/// `file` reads each file to its end once; `tail` goes on following them: globs are
/// scanned again for new files, a file renamed away is read to its end (and closed once
/// it stops growing), one truncated in place (copy-and-truncate) is read again from its
/// start, one deleted and recreated is a new file. Files are told apart by `FileIdentity`,
/// so a file renamed while Weir was stopped is recognised, and a new file that reused an
/// old inode is not mistaken for it.
///
/// Every chunk read is appended as one batch carrying the file's position (see
/// `SourceWriter`), so a restart continues after the last line the log holds.
final class FileSource {
    struct Options {
        var patterns: [String] = []
        var follow = false
        var readFromEnd = false
        var scanIntervalMs: Int64 = 1000
        var partialLineTimeoutMs: Int64 = 1000
        var maxLineBytes = 1 << 20
        var oversizeToDeadLetters = false
        /// A file no glob finds any more is closed after it has not grown for this long.
        var closeIdleMs: Int64 = 5000
        var multiline: MultilineJoiner.Rule?
        // One chunk is one batch: 256 KiB, as `weir produce` batches.
        var chunkSize = 256 << 10
        /// `tail` waits for inotify to report changes in the directories it reads (Linux,
        /// local filesystems); off, it looks at its files on a timer, as it does where
        /// inotify cannot see. Tests turn it off to test that.
        var watch = true

        init(_ options: ComponentOptions) {
            patterns = options.strings("paths")
            follow = options.component.type == "tail"
            readFromEnd = options.string("read_from") == "end"
            if let n = options.int("scan_interval_ms") { scanIntervalMs = n }
            if let n = options.int("partial_line_timeout_ms") { partialLineTimeoutMs = n }
            if let n = options.int("max_line_bytes") { maxLineBytes = Int(n) }
            oversizeToDeadLetters = options.string("oversize") == "dlq"
            multiline = MultilineJoiner.Rule(options.object("multiline"))
            multiline?.maxBytes = maxLineBytes
        }
    }

    let id: String
    let options: Options
    let writer: SourceWriter
    let deadLetters: DeadLetters
    let logger: Logger
    private var files: [Int: FollowedFile] = [:]
    private var scratch: [UInt8]
    private var arena = RecordArena()
    private var warned = Set<String>()
    /// Paths the last scan found empty: not taken up yet.
    private var emptyFiles = Set<String>()
    /// Idle files closed while a glob still finds them, as they were then.
    private var parked: [String: Parked] = [:]
    private var dirty = false
    /// Reports changes in the directories the globs read (a `tail` on Linux).
    private var watcher: FileWatcher?
    /// Every directory the globs read is watched: the source waits for changes rather than
    /// looking at its files on a timer.
    private var watched = false
    /// The source has never run before: `read_from: end` applies to the files it finds
    /// first. Files that appear later are read from their start, so no line written
    /// between a rotation and the next scan is lost.
    private let freshSource: Bool

    init(id: String, options: Options, writer: SourceWriter, deadLetters: DeadLetters, logger: Logger) {
        self.id = id
        self.options = options
        self.writer = writer
        self.deadLetters = deadLetters
        self.logger = logger
        scratch = [UInt8](repeating: 0, count: options.chunkSize)
        freshSource = writer.firstStart
    }

    /// Reads until `stop` says so; a bounded run (`file`, or `--once`) stops by itself
    /// once every file is read to its end. Unfinished lines are appended before returning.
    ///
    /// On `stop` the globs are scanned once more (a file that appeared, or a parked one
    /// that grew, since the last scan is taken up) and every file gets one more round, so
    /// what the files hold at that moment is appended, unfinished last lines included. A
    /// file further behind than one round keeps the rest, its unfinished line too, for
    /// the next run: stopping stays quick and never cuts a line in two.
    func run(bounded: Bool, stop: StopFlag) throws {
        // A bounded run reads what is there and ends: nothing to wait for.
        if !bounded && options.watch {
            watcher = FileWatcher()
            if watcher == nil {
                logger.warning(
                    "inotify unavailable (\(String(cString: strerror(errno)))); looking at files every scan_interval_ms",
                    metadata: meta([:]))
            }
        }
        defer { watcher?.stop() }
        var lastScan: Int64 = .min
        var firstScan = true
        var lastFlush = monotonicMillis()
        var idleWaitMs = Self.idleWaitMs.lowerBound
        while true {
            // Marked before the flag is read and the changes are taken: a stop or a change
            // after this ends the idle wait at once.
            let stopMark = stop.mark()
            if let failed = watcher, failed.failed {
                logger.warning(
                    "inotify stopped reporting changes; looking at files every scan_interval_ms", metadata: meta([:]))
                failed.stop()
                watcher = nil
                watched = false
            }
            let changeMark = watcher?.changed.mark()
            let changes = watcher?.take() ?? FileWatcher.Changes()
            let now = monotonicMillis()
            let stopping = stop.isSet
            func scanDue() -> Bool {
                watched
                    ? changes.rescan || now - lastScan >= max(options.scanIntervalMs, Self.watchedScanMs)
                    : now - lastScan >= options.scanIntervalMs || emptyFileGrew()
            }
            if firstScan || stopping || (!bounded && scanDue()) {
                // Directories are watched before they are scanned: what changes after the
                // scan looked is reported.
                if let watcher { watched = watchDirectories(watcher) }
                try scan(first: firstScan, now: now)
                firstScan = false
                lastScan = now
            } else if !changes.touched.isEmpty {
                try look(at: changes.touched, now: now)
            }
            var progressed = false
            for slot in files.keys.sorted() {
                guard let file = files[slot] else { continue }
                // A few chunks per file per round keeps one busy file from starving the rest.
                for _ in 0..<8 {
                    guard try readChunk(file) else { break }
                    progressed = true
                    // A restart (truncation) replaced this file's entry: go on next round.
                    if files[slot] !== file { break }
                }
            }
            let finishing = stopping || (bounded && !progressed)
            try expireTimeouts(now: monotonicMillis(), finishing: finishing)
            try closeIdleFiles(now: monotonicMillis(), finishing: finishing)
            if dirty && (!progressed || finishing || monotonicMillis() - lastFlush >= 1000) {
                try writer.flush()
                try deadLetters.flush()
                dirty = false
                lastFlush = monotonicMillis()
            }
            if finishing { break }
            if progressed {
                idleWaitMs = Self.idleWaitMs.lowerBound
                continue
            }
            let now2 = monotonicMillis()
            var due: Int64
            if watched {
                // Every directory is watched: the files are looked at again when one
                // changes, when a timer is due, and on a timer only while a file renamed
                // out of the globs (perhaps out of the watched directories) is read on.
                due = min(
                    timersDue(lastScan: lastScan, every: max(options.scanIntervalMs, Self.watchedScanMs)),
                    closeIdleDue(now: now2))
                if files.values.contains(where: \.gone) { due = min(due, now2 + idleWaitMs) }
            } else {
                // Files do not signal: they are looked at again after a wait that doubles
                // while nothing changes, and never later than the next scan or timeout is due.
                due = min(now2 + idleWaitMs, timersDue(lastScan: bounded ? nil : lastScan, every: options.scanIntervalMs))
            }
            let deadline: ContinuousClock.Instant? = due == .max ? nil : .now + .milliseconds(max(1, due - now2))
            ChangeSignal.wait(for: [stopMark] + (changeMark.map { [$0] } ?? []), until: deadline)
            idleWaitMs = min(idleWaitMs * 2, Self.idleWaitMs.upperBound)
        }
        try writer.flush(force: true)
        try deadLetters.flush()
        files.removeAll()
    }

    /// How long a round that found nothing new waits before the next, in ms, when files
    /// are polled: the least right after data came (a line written just then waits
    /// little), doubling up to the most while the files stay as they are.
    static let idleWaitMs: ClosedRange<Int64> = 2...256

    /// How often the globs are scanned when every directory they read is watched, in ms
    /// (at least `scan_interval_ms`): a safety net only, as changes are reported.
    static let watchedScanMs: Int64 = 60_000

    /// When the next thing that waits on time is due, in monotonic ms: the next scan
    /// (`lastScan` nil: none) `every` ms after the last, an unfinished line's
    /// `partial_line_timeout_ms`, a multiline record's `timeout_ms`. `Int64.max` when
    /// nothing is.
    private func timersDue(lastScan: Int64?, every scanIntervalMs: Int64) -> Int64 {
        var due = lastScan.map { Self.after($0, scanIntervalMs) } ?? .max
        for file in files.values where file.holdsUnappended {
            // The same conditions as `expireTimeouts`: nothing counted here stays due
            // once that has run.
            if !file.unfinished.isEmpty || file.oversize {
                due = min(due, Self.after(file.lastGrowth, options.partialLineTimeoutMs))
            } else if let rule = file.joiner?.rule, file.joiner?.isEmpty == false {
                due = min(due, Self.after(file.lastGrowth, rule.timeoutMs))
            }
        }
        return due
    }

    /// When the next open file is due to be closed as idle (`closeIdleFiles`), in
    /// monotonic ms; files whose time has passed but stay open (they are not read to
    /// their end) wait for a change, not for time.
    private func closeIdleDue(now: Int64) -> Int64 {
        var due = Int64.max
        for file in files.values where !file.holdsUnappended {
            let at = Self.after(file.lastGrowth, options.closeIdleMs)
            if at > now { due = min(due, at) }
        }
        return due
    }

    /// `start` plus `ms`, saturating: an option of Int64.max means never.
    private static func after(_ start: Int64, _ ms: Int64) -> Int64 {
        let (sum, overflow) = start.addingReportingOverflow(ms)
        return overflow ? .max : sum
    }

    // MARK: Watching

    /// Watches every directory the globs read (see `directories(of:)`); returns whether
    /// all of them are, so that nothing changes unseen. One that cannot be watched (the
    /// inotify watch limit reached, a network filesystem, a directory not there yet), or a
    /// glob that finds a symbolic link, is logged once, and the source goes on looking
    /// every `scan_interval_ms`.
    private func watchDirectories(_ watcher: FileWatcher) -> Bool {
        let (directories, complete) = Self.directories(of: options.patterns)
        var all = complete
        for directory in directories {
            switch watcher.watch(directory) {
            case .watching:
                continue
            case .remote(let type):
                warnOnce(
                    directory,
                    "on a \(type) filesystem, which inotify does not see changed by other machines; looking every scan_interval_ms")
            case .failed(let error) where error.code == ENOSPC:
                warnOnce(directory, "inotify watch limit reached (fs.inotify.max_user_watches); looking every scan_interval_ms")
            case .failed(let error):
                warnOnce(directory, "cannot be watched (\(error)); looking every scan_interval_ms")
            }
            all = false
        }
        // A symlinked file (Kubernetes' /var/log/containers/*.log) is written in its
        // target's directory, which is not watched: such files are looked at on a timer.
        if let link = Self.expand(options.patterns).first(where: Self.isSymlink) {
            warnOnce(link, "a symbolic link, whose target's directory is not watched; looking every scan_interval_ms")
            all = false
        }
        return all
    }

    /// Whether `path` is a symbolic link itself.
    static func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// The directories the globs read: for each pattern, the directory its fixed part
    /// names (which sees subdirectories appear) and those its wildcard directory parts
    /// expand to now. `complete` is false when a fixed directory is not there (yet).
    static func directories(of patterns: [String]) -> (directories: [String], complete: Bool) {
        var directories: [String] = []
        var complete = true
        for pattern in patterns {
            let parts = pattern.split(separator: "/", omittingEmptySubsequences: false).dropLast().map(String.init)
            let wildcard = parts.firstIndex { $0.contains(where: { "*?[".contains($0) }) } ?? parts.count
            var fixed = parts[..<wildcard].joined(separator: "/")
            if fixed.isEmpty { fixed = pattern.hasPrefix("/") ? "/" : "." }
            guard FileSystem.isDirectory(fixed) else {
                complete = false
                continue
            }
            directories.append(fixed)
            for level in parts.indices where level >= wildcard {
                directories += expand([parts[...level].joined(separator: "/")]).filter(FileSystem.isDirectory)
            }
        }
        return (directories, complete)
    }

    // MARK: Finding files

    private func scan(first: Bool, now: Int64) throws {
        emptyFiles.removeAll()
        var seen = Set<Int>()
        for path in Self.expand(options.patterns) {
            if let slot = try take(path, first: first, now: now) { seen.insert(slot) }
        }
        for file in files.values where !seen.contains(file.slot) {
            file.gone = true
        }
        // A file rewritten in place (copy-and-truncate, then written past the old end
        // before we looked) has different first bytes: read it again from the start.
        for file in files.values where !file.gone {
            if let current = FileIdentity.of(fd: file.fd), !file.identity.matches(current, path: file.descriptorPath) {
                try restart(file, reason: "its first bytes changed")
            }
        }
    }

    /// Looks at paths inotify reported written to (no entry created, renamed or deleted,
    /// which takes a scan): one a glob finds that is not open (parked, empty before) is
    /// taken up as a scan would. Open files are read every round anyway.
    private func look(at paths: Set<String>, now: Int64) throws {
        let open = Set(files.values.lazy.filter { !$0.gone }.map(\.path))
        for path in paths.sorted() where !open.contains(path) && Self.matches(path, options.patterns) {
            emptyFiles.remove(path)
            _ = try take(path, first: false, now: now, renames: false)
        }
    }

    /// Whether a glob of `patterns` finds `path`, as glob(3) matches.
    static func matches(_ path: String, _ patterns: [String]) -> Bool {
        patterns.contains { fnmatch($0, path, FNM_PATHNAME | FNM_PERIOD) == 0 }
    }

    /// Takes up the file a glob found at `path`, unless it is followed already (then
    /// `renames` says whether its path is updated), parked and unchanged, empty, or a copy
    /// of one being read. Returns the slot of the file followed there, if any.
    private func take(_ path: String, first: Bool, now: Int64, renames: Bool = true) throws -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            warnOnce(path, "not a regular file; skipped")
            return nil
        }
        if parked[path] == Parked(info) {
            return nil
        }
        parked[path] = nil
        if let file = files.values.first(where: {
            !$0.gone && $0.identity.device == UInt64(info.st_dev) && $0.identity.inode == UInt64(info.st_ino)
        }) {
            if file.path != path && renames {
                logger.info("file renamed; still following it", metadata: meta(["from": "\(file.path)", "to": "\(path)"]))
                file.path = path
            }
            return file.slot
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            warnOnce(path, "cannot be opened: \(String(cString: strerror(errno)))")
            return nil
        }
        guard let identity = FileIdentity.of(fd: fd) else {
            close(fd)
            return nil
        }
        let size = UInt64(info.st_size)
        let slot: Int
        var offset: UInt64 = 0
        var partialLine = false
        let known = writer.state.slot(for: path, identity, excluding: Set(files.keys)).flatMap { slot in
            writer.state.files[String(slot)].map { (slot: slot, cursor: $0) }
        }
        if let known, known.cursor.offset <= size {
            slot = known.slot
            offset = known.cursor.offset
            partialLine = known.cursor.partialLine == true
        } else if let known, known.cursor.identity.device != identity.device || known.cursor.identity.inode != identity.inode {
            // The first bytes of a file read further than this one is long, on another
            // inode: a copy being written (copy-and-truncate of a closed file). Its bytes
            // were read already; it is looked at again when it changes, and taken up once
            // it is as long as what was read.
            logger.debug(
                "copy being written of a file read further; looked at again later",
                metadata: meta(["path": "\(path)", "read": "\(known.cursor.offset)", "size": "\(size)"]))
            close(fd)
            return nil
        } else if identity.fingerprintLength == 0 {
            // Nothing to read yet, and nothing to tell it by: taken up once it has
            // bytes (looked at every round, or when inotify reports it written, so its
            // first lines wait for no scan).
            close(fd)
            emptyFiles.insert(path)
            return nil
        } else if let original = files.values.first(where: { $0.identity.matches(identity, path: path) || identity.isPrefix(of: $0.fd) }
        ) {
            // A copy of a file being read (copy-and-truncate in progress): the
            // original is read on; the copy is taken up only if the original is cut.
            logger.debug(
                "copy of a file being read; not read twice", metadata: meta(["path": "\(path)", "original": "\(original.path)"]))
            close(fd)
            return nil
        } else {
            slot = writer.takeSlot()
            if first && options.readFromEnd && freshSource { offset = size }
            if options.follow || offset > 0 {
                logger.debug("new file", metadata: meta(["path": "\(path)", "from": "\(offset)"]))
            }
            writer.note(.file(slot: slot, FileCursor(identity: identity, offset: offset)))
            dirty = true
        }
        let file = FollowedFile(
            slot: slot, path: path, fd: fd, identity: identity, offset: offset,
            partialLine: partialLine, multiline: options.multiline, now: now)
        files[slot] = file
        return slot
    }

    /// Whether a file the last scan found empty has bytes now.
    private func emptyFileGrew() -> Bool {
        emptyFiles.contains { path in
            var info = stat()
            return stat(path, &info) == 0 && info.st_size > 0
        }
    }

    static func expand(_ patterns: [String]) -> [String] {
        var paths = Set<String>()
        for pattern in patterns {
            var result = glob_t()
            defer { globfree(&result) }
            guard glob(pattern, 0, nil, &result) == 0 else { continue }
            for i in 0..<Int(result.gl_pathc) {
                if let path = result.gl_pathv[i] { paths.insert(String(cString: path)) }
            }
        }
        return paths.sorted()
    }

    // MARK: Reading

    /// Reads one chunk of `file` beyond what was read; returns whether there was any.
    private func readChunk(_ file: FollowedFile) throws -> Bool {
        guard let size = file.size else { return false }
        if size < file.readOffset {
            try restart(file, reason: "it was truncated")
            return true
        }
        guard size > file.readOffset else { return false }
        // Cut and rewritten past where we were since the last read: the first bytes tell.
        if file.readOffset > 0, let current = FileIdentity.of(fd: file.fd), !file.identity.matches(current, path: file.descriptorPath) {
            try restart(file, reason: "its first bytes changed")
            return true
        }
        let want = Int(min(size - file.readOffset, UInt64(scratch.count)))
        let n = scratch.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress!, want, off_t(file.readOffset)) }
        guard n > 0 else {
            if n < 0 { warnOnce(file.path, "read failed: \(String(cString: strerror(errno)))") }
            return false
        }
        arena.reset()
        let start = file.readOffset
        scratch.withUnsafeBytes { raw in
            var at = 0
            while at < n {
                if let newline = memchr(raw.baseAddress! + at, 0x0a, n - at) {
                    let end = raw.baseAddress!.distance(to: UnsafeRawPointer(newline))
                    let piece = UnsafeRawBufferPointer(rebasing: raw[at..<end])
                    let lineEnd = start + UInt64(end + 1)
                    if file.unfinished.isEmpty && !file.oversize {
                        completeLine(piece, end: lineEnd, file)
                    } else {
                        keep(piece, in: file)
                        file.unfinished.withUnsafeBytes { completeLine($0, end: lineEnd, file) }
                        file.unfinished.removeAll(keepingCapacity: true)
                        file.oversize = false
                    }
                    at = end + 1
                } else {
                    keep(UnsafeRawBufferPointer(rebasing: raw[at..<n]), in: file)
                    at = n
                }
            }
        }
        file.readOffset += UInt64(n)
        file.lastGrowth = monotonicMillis()
        // The fingerprint grows with a short file, only over the same first bytes.
        if file.identity.fingerprintLength < FileIdentity.fingerprintSize, let grown = FileIdentity.of(fd: file.fd),
            file.identity.matches(grown, path: file.descriptorPath)
        {
            file.identity = grown
        }
        try appendArena(file)
        return true
    }

    /// Adds bytes to the unfinished line, keeping at most `maxLineBytes` of it.
    private func keep(_ piece: UnsafeRawBufferPointer, in file: FollowedFile) {
        let room = options.maxLineBytes - file.unfinished.count
        if piece.count > room {
            file.unfinished.append(contentsOf: piece.prefix(max(0, room)))
            file.oversize = true
        } else {
            file.unfinished.append(contentsOf: piece)
        }
    }

    /// A whole line (without its newline) ending at file offset `end`; `newline` says
    /// whether a newline ended it (else it is an unfinished line, appended as it is).
    private func completeLine(_ line: UnsafeRawBufferPointer, end: UInt64, newline: Bool = true, _ file: FollowedFile) {
        let raw = line
        var line = StdinSource.trimmed(line)
        if line.isEmpty, let partialEnd = file.partialEnd, end == partialEnd + UInt64(raw.count) + (newline ? 1 : 0) {
            // The newline (or `\r\n`) of a line already appended unfinished: it ends that
            // line and is no line of its own. A multiline record still holding that line
            // ends after it.
            if file.joiner?.isEmpty == false {
                file.joiner!.extendLastLine(to: end)
            } else {
                arena.skip(end: end)
            }
            return
        }
        if file.oversize || line.count > options.maxLineBytes {
            line = UnsafeRawBufferPointer(rebasing: line.prefix(options.maxLineBytes))
            if options.oversizeToDeadLetters {
                // A record being joined ends before this line: out first, so the position
                // never passes it.
                if let record = file.joiner?.take() { arena.add(record.bytes, end: record.end) }
                deadLetters.add(
                    line, reason: "line longer than max_line_bytes (\(options.maxLineBytes))", component: id,
                    headers: [RecordHeader(key: "weir.file", value: Array(file.path.utf8))])
                arena.skip(end: end)
                return
            }
            logger.warning(
                "line longer than max_line_bytes; truncated",
                metadata: meta(["path": "\(file.path)", "max_line_bytes": "\(options.maxLineBytes)"]))
        }
        if file.joiner != nil {
            if let record = file.joiner!.add(line, end: end) { arena.add(record.bytes, end: record.end) }
        } else {
            arena.add(line, end: end)
        }
    }

    /// Appends the records of the arena; the last carries the file's new position.
    private func appendArena(_ file: FollowedFile) throws {
        guard let last = arena.lastEnd else { return }
        // Dead letters of this chunk (over-long lines) go first: the position about to be
        // appended passes them, and must never become durable without them.
        try deadLetters.flush()
        let now = currentTimeMillis()
        file.offset = last
        if arena.count == 0 {
            // Only skipped lines: the position moves without a record to carry it.
            writer.note(.file(slot: file.slot, file.cursor))
        }
        try arena.withRecords { bytes, records in
            try writer.add(values: bytes, records, timestamp: now, position: .file(slot: file.slot, file.cursor))
        }
        dirty = true
    }

    /// Appends what waits on a timeout: an unfinished line that stayed unchanged for
    /// `partial_line_timeout_ms`, a multiline record with no new line for its
    /// `timeout_ms`; or everything, when finishing.
    private func expireTimeouts(now: Int64, finishing: Bool) throws {
        for file in files.values.sorted(by: { $0.slot < $1.slot }) where file.holdsUnappended {
            let idle = now - file.lastGrowth
            arena.reset()
            // When finishing, only a file's last line: a file read only partly has the rest
            // of this line still to come (at the next run).
            let atEnd = file.size.map { $0 <= file.readOffset } ?? true
            if (!file.unfinished.isEmpty || file.oversize) && (finishing ? atEnd : idle >= options.partialLineTimeoutMs) {
                completeUnfinished(file)
            }
            if file.unfinished.isEmpty, let rule = file.joiner?.rule, finishing || idle >= rule.timeoutMs,
                let record = file.joiner?.take()
            {
                arena.add(record.bytes, end: record.end)
            }
            try appendArena(file)
        }
    }

    /// Completes the unfinished line as it is: no newline came for it (yet).
    private func completeUnfinished(_ file: FollowedFile) {
        file.unfinished.withUnsafeBytes { completeLine($0, end: file.readOffset, newline: false, file) }
        file.unfinished.removeAll(keepingCapacity: true)
        file.oversize = false
        file.partialEnd = file.readOffset
    }

    /// Closes files read to their end that stopped growing `closeIdleMs` ago: gone ones
    /// for good, the others parked (a scan takes a parked file up again once its inode,
    /// size or modification time changes), so rotated files kept under the glob do not
    /// hold descriptors.
    private func closeIdleFiles(now: Int64, finishing: Bool) throws {
        for file in files.values where !file.holdsUnappended && now - file.lastGrowth >= options.closeIdleMs {
            var info = stat()
            guard fstat(file.fd, &info) == 0, UInt64(info.st_size) == file.readOffset, file.offset == file.readOffset else { continue }
            logger.debug("closing idle file", metadata: meta(["path": "\(file.path)"]))
            if !file.gone { parked[file.path] = Parked(info) }
            files[file.slot] = nil
        }
    }

    /// A parked file as a stat shows it. The modification time tells a file deleted and
    /// created again apart even when it has the old inode and size.
    struct Parked: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: UInt64
        var modified: timespec

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = UInt64(info.st_size)
            #if os(Linux)
            modified = info.st_mtim
            #else
            modified = info.st_mtimespec
            #endif
        }

        static func == (a: Parked, b: Parked) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size && a.modified.tv_sec == b.modified.tv_sec
                && a.modified.tv_nsec == b.modified.tv_nsec
        }
    }

    /// The file at the same place now holds other content: what was read of the old
    /// content is appended, and the file continues as a new one from its start.
    ///
    /// Copy-and-truncate leaves the old content in a copy: if a glob finds one (a file
    /// with the same first bytes, at least as long as what was read), the old slot goes on
    /// in the copy, so lines written before the copy and not yet read are not lost.
    private func restart(_ file: FollowedFile, reason: String) throws {
        logger.warning("file \(reason); reading it again from the start", metadata: meta(["path": "\(file.path)"]))
        files[file.slot] = nil
        if let copy = findCopy(of: file) {
            logger.info("continuing the old content in its copy", metadata: meta(["path": "\(copy.path)"]))
            files[file.slot] = copy
        } else {
            // No copy: what was read of the old content is appended as it is.
            arena.reset()
            if !file.unfinished.isEmpty || file.oversize { completeUnfinished(file) }
            if let record = file.joiner?.take() { arena.add(record.bytes, end: record.end) }
            try appendArena(file)
        }
        let fd = dup(file.fd)
        guard fd >= 0 else { return }
        guard let identity = FileIdentity.of(fd: fd) else {
            close(fd)
            return
        }
        let slot = writer.takeSlot()
        writer.note(.file(slot: slot, FileCursor(identity: identity, offset: 0)))
        files[slot] = FollowedFile(
            slot: slot, path: file.path, fd: fd, identity: identity, offset: 0,
            multiline: options.multiline, now: monotonicMillis())
        dirty = true
    }

    /// A file under the globs, other than `file`, that holds the content `file` had: its
    /// first bytes match and it is at least as long as what was read.
    private func findCopy(of file: FollowedFile) -> FollowedFile? {
        for path in Self.expand(options.patterns) where path != file.path {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            if let identity = FileIdentity.of(fd: fd), identity.inode != file.identity.inode || identity.device != file.identity.device,
                file.identity.matches(identity, path: path),
                !files.values.contains(where: { $0.identity.inode == identity.inode && $0.identity.device == identity.device })
            {
                var info = stat()
                if fstat(fd, &info) == 0, UInt64(info.st_size) >= file.readOffset {
                    let copy = FollowedFile(
                        slot: file.slot, path: path, fd: fd, identity: identity, offset: file.offset,
                        multiline: nil, now: monotonicMillis())
                    copy.readOffset = file.readOffset
                    copy.unfinished = file.unfinished
                    copy.oversize = file.oversize
                    copy.partialEnd = file.partialEnd
                    copy.joiner = file.joiner
                    copy.gone = true
                    writer.note(.file(slot: copy.slot, copy.cursor))
                    return copy
                }
            }
            close(fd)
        }
        return nil
    }

    private func warnOnce(_ path: String, _ message: String) {
        guard warned.insert(path + message).inserted else { return }
        logger.warning("\(message)", metadata: meta(["path": "\(path)"]))
    }

    private func meta(_ values: Logger.Metadata) -> Logger.Metadata {
        values.merging(["source": "\(id)"]) { a, _ in a }
    }
}

/// The records completed in one chunk, copied back to back into one reused buffer.
struct RecordArena {
    private var bytes: [UInt8] = []
    private var records: [Range<Int>] = []
    private(set) var lastEnd: UInt64?

    var count: Int { records.count }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
        lastEnd = nil
    }

    mutating func add(_ record: some Collection<UInt8>, end: UInt64) {
        records.append(bytes.count..<bytes.count + record.count)
        bytes.append(contentsOf: record)
        lastEnd = end
    }

    /// A line that produced no record still moves the position past it.
    mutating func skip(end: UInt64) { lastEnd = end }

    /// The records, each a range of the bytes, in place.
    func withRecords(_ body: (UnsafeRawBufferPointer, UnsafeBufferPointer<Range<Int>>) throws -> Void) throws {
        try bytes.withUnsafeBytes { bytes in try records.withUnsafeBufferPointer { try body(bytes, $0) } }
    }
}
