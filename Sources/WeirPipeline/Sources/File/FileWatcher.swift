import Dispatch
import Foundation
import Synchronization
import WeirLog

/// What a `tail` source waits on instead of looking at its files on a timer: inotify
/// watches on the directories its globs read, reported by a thread of its own.
///
/// The thread reads the events as they come and gathers them: entries that changed
/// (written, truncated, their attributes changed) by their path, and whether the
/// directories' entries themselves changed (a file created, renamed, deleted; a watched
/// directory gone; events lost to an overflowing queue), which takes a new scan of the
/// globs. Then `changed` fires. The source takes a mark of `changed` before it takes the
/// gathered changes (`take()`), so no change is missed between a round and its wait.
final class FileWatcher: Sendable {
    /// Fires after changes were gathered.
    let changed = ChangeSignal()

    /// The changes gathered since the last `take()`.
    struct Changes {
        /// Entries written to, truncated or whose attributes changed: the watched
        /// directory's prefix (as the glob writes it) and the entry's name.
        var touched: Set<String> = []
        /// Directory entries were created, renamed or deleted, a watched directory went
        /// away, or events were lost: the globs must be scanned again.
        var rescan = false
    }

    /// How a directory watch turned out.
    enum Outcome: Equatable {
        case watching
        /// Watching it would see nothing of what other machines write (a network or
        /// FUSE filesystem).
        case remote(String)
        case failed(Inotify.Errno)
    }

    #if os(Linux)
    private let inotify: Inotify
    /// Written to when stopping: wakes the thread out of poll(2).
    private let wake: (read: Int32, write: Int32)
    private let state = Mutex(State())
    private let finished = DispatchSemaphore(value: 0)
    private let stopped = Atomic(false)
    private let broken = Atomic(false)

    private struct State {
        var changes = Changes()
        /// The directories (paths, as the globs write them) of each watch descriptor: one
        /// inode may be watched under several paths. And the other way round.
        var directories: [Int32: Set<String>] = [:]
        var watches: [String: Int32] = [:]

        mutating func record(_ directory: String, _ watch: Int32) {
            if let old = watches[directory], old != watch { directories[old]?.remove(directory) }
            watches[directory] = watch
            directories[watch, default: []].insert(directory)
        }

        mutating func forget(_ watch: Int32) {
            for directory in directories.removeValue(forKey: watch) ?? [] where watches[directory] == watch {
                watches[directory] = nil
            }
        }
    }

    /// The events watched on a directory: everything that changes a file in it, or its entries.
    private static let mask: Int32 =
        Int32(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
        | Int32(IN_DELETE_SELF | IN_MOVE_SELF) | Int32(bitPattern: UInt32(IN_ONLYDIR))

    /// Starts watching (no directory yet); nil when inotify or a pipe cannot be had.
    init?() {
        guard let inotify = Inotify() else { return nil }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        self.inotify = inotify
        wake = (fds[0], fds[1])
        Thread.detachNewThread { [self] in
            readUntilStopped()
            finished.signal()
        }
    }

    /// Whether the thread stopped reading events (poll(2) failed): nothing is reported
    /// any more, and the source must look at its files on a timer.
    var failed: Bool { broken.load(ordering: .acquiring) }

    /// Ends the thread and waits for it; the watches go with the instance. Once only:
    /// later calls do nothing.
    func stop() {
        guard stopped.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        var byte: UInt8 = 0
        _ = write(wake.write, &byte, 1)
        finished.wait()
        close(wake.read)
        close(wake.write)
    }

    /// Watches `directory`. Called on every scan: the kernel gives the inode at the path
    /// now its watch (the one it has, if any), so a path that now names another directory
    /// (a symlink re-pointed, a directory replaced) is watched where it points.
    func watch(_ directory: String) -> Outcome {
        // The filesystem is looked up when the path is new (reading the mount table is
        // not free).
        if state.withLock({ $0.watches[directory] == nil }), let type = Self.remoteFilesystem(directory) {
            return .remote(type)
        }
        // Under the lock: an event of the new watch finds its directory.
        return state.withLock { state in
            switch inotify.watch(directory, mask: Self.mask) {
            case .success(let watch):
                state.record(directory, watch)
                return .watching
            case .failure(let error):
                return .failed(error)
            }
        }
    }

    /// The changes gathered since the last call; take a mark of `changed` first.
    func take() -> Changes {
        state.withLock { state in
            defer { state.changes = Changes() }
            return state.changes
        }
    }

    private func readUntilStopped() {
        var fds = [pollfd(fd: inotify.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            if ready >= 0 && fds[1].revents != 0 { return }
            let failure = Int16(POLLERR | POLLNVAL | POLLHUP)
            if ready < 0 || fds[0].revents & failure != 0 {
                // Nothing more will be reported: the source is told, and looks on a timer.
                broken.store(true, ordering: .releasing)
                changed.signal()
                return
            }
            var events: [Inotify.Event] = []
            inotify.readEvents { events.append($0) }
            guard !events.isEmpty else { continue }
            state.withLock { state in
                for event in events { gather(event, into: &state) }
            }
            changed.signal()
        }
    }

    private func gather(_ event: Inotify.Event, into state: inout State) {
        let namespace = Int32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
        let gone = Int32(IN_DELETE_SELF | IN_MOVE_SELF) | Int32(bitPattern: UInt32(IN_IGNORED))
        if event.has(Int32(IN_Q_OVERFLOW)) {
            // Events were lost, `IN_IGNORED` ones perhaps: no watch is trusted. The scan
            // watches every directory again (the kernel gives back the watches it has).
            state.directories.removeAll()
            state.watches.removeAll()
            state.changes.rescan = true
        } else if event.has(gone) {
            // The directory went away, or is elsewhere now: watched again once a scan
            // finds one at its path.
            if event.has(Int32(IN_MOVE_SELF)) { inotify.remove(event.watch) }
            state.forget(event.watch)
            state.changes.rescan = true
        } else if event.has(namespace) || event.name.isEmpty {
            state.changes.rescan = true
        } else if let directories = state.directories[event.watch] {
            for directory in directories { state.changes.touched.insert(Self.prefix(of: directory) + event.name) }
            // A flood of changed names is no cheaper to look at one by one than a scan.
            if state.changes.touched.count > 4096 {
                state.changes.touched.removeAll()
                state.changes.rescan = true
            }
        }
    }
    #else
    init?() { nil }
    var failed: Bool { false }
    func stop() {}
    func watch(_ directory: String) -> Outcome { .failed(Inotify.Errno(ENOSYS)) }
    func take() -> Changes { Changes() }
    #endif

    /// The prefix the globs write before the names of entries of `directory`.
    static func prefix(of directory: String) -> String {
        directory == "." ? "" : directory.hasSuffix("/") ? directory : directory + "/"
    }

    /// The type of the network or FUSE filesystem `directory` is on (changes made by
    /// other machines raise no inotify event there), or nil for a local one.
    static func remoteFilesystem(_ directory: String) -> String? {
        #if os(Linux)
        guard let resolved = realpath(directory, nil) else { return nil }
        let path = String(cString: resolved)
        free(resolved)
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return nil }
        // The mount the directory is on: the longest mount point above it.
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            // Mount points write a space, tab, newline or backslash as an octal escape.
            let point = String(fields[1]).replacingOccurrences(of: "\\040", with: " ").replacingOccurrences(of: "\\011", with: "\t")
                .replacingOccurrences(of: "\\012", with: "\n").replacingOccurrences(of: "\\134", with: "\\")
            let under = point == "/" || path == point || path.hasPrefix(point + "/")
            if under && point.count >= (best?.point.count ?? 0) { best = (point, String(fields[2])) }
        }
        guard let type = best?.type else { return nil }
        let remote: Set<String> = [
            "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "afs", "lustre", "gpfs", "fuse", "sshfs",
        ]
        return remote.contains(type) || type.hasPrefix("fuse.") ? type : nil
        #else
        return nil
        #endif
    }
}
