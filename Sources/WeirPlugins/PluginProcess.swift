import Foundation
import WeirLog
import WeirPipeline
import WeirValues

/// Why a plugin's process cannot go on: it exited, hung, or wrote something that is not
/// the protocol. The process is killed and started again.
struct PluginFault: Error, CustomStringConvertible {
    var description: String
}

/// A plugin's process with pipes to its stdin and stdout.
final class PluginProcess {
    let pid: pid_t
    let name: String
    private let input: Int32
    private let output: Int32
    private var pending: [UInt8] = []

    private static let spawning = NSLock()

    init(name: String, command: [String], directory: String) throws(PluginFault) {
        // Pipes are made close-on-exec under one lock with the spawn: a plugin spawned by
        // another thread meanwhile must not inherit these ends (it would hold this
        // plugin's pipes open past its death).
        Self.spawning.lock()
        defer { Self.spawning.unlock() }
        var opened: [Int32] = []
        for _ in 0..<3 {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else {
                let reason = String(cString: strerror(errno))
                for fd in opened { Glibc.close(fd) }
                throw PluginFault(description: "cannot make pipes (\(reason))")
            }
            for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            opened += ends
        }
        let (toChild, fromChild, errors) = (Array(opened[0...1]), Array(opened[2...3]), Array(opened[4...5]))
        // `env -C` starts the command in the plugin's folder, in a process group of its
        // own, so the signals of a shutdown reach whatever the command starts.
        let spawned = Result { () throws(ChildSpawn.SpawnError) -> Int32 in
            try ChildSpawn.spawn(
                "/usr/bin/env", ["-C", directory] + command, descriptors: [0: toChild[0], 1: fromChild[1], 2: errors[1]],
                ownProcessGroup: true)
        }
        Glibc.close(toChild[0])
        Glibc.close(fromChild[1])
        Glibc.close(errors[1])
        guard case .success(let pid) = spawned else {
            Glibc.close(toChild[1])
            Glibc.close(fromChild[0])
            Glibc.close(errors[0])
            throw PluginFault(description: "cannot start \(command.joined(separator: " ")): \(spawned)")
        }
        self.pid = pid
        self.name = name
        input = toChild[1]
        output = fromChild[0]
        // Writes never block: a plugin that stops reading is caught by the timeout.
        _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK)
        // Room for a whole request and a whole reply in the pipes (1 MiB, Linux's limit
        // for unprivileged processes; the default is 64 KiB), so neither side waits for the
        // other to read while it has work.
        let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ, which Glibc's module does not export
        for fd in [input, output] { _ = fcntl(fd, setPipeSize, 1 << 20) }
        Glibc.signal(SIGPIPE, SIG_IGN)
        Self.relay(errors[0], prefix: "weir: plugin \(name): ")
        Self.watchExit(pid, signal: exited)
    }

    /// Fires when the process exits (it is then a zombie until `reap` collects it).
    private let exited = ChangeSignal()

    /// Fires `signal` once `pid` has exited, from a thread of its own that waits for it:
    /// a wait for its exit with a deadline then needs no polling. `WNOWAIT` leaves the
    /// process for `reap` to collect, so its pid stays its own until then (a signal sent
    /// before that never reaches another process).
    private static func watchExit(_ pid: pid_t, signal: ChangeSignal) {
        Thread.detachNewThread {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
            // Also after an error (ECHILD: `reap` collected it first): it has exited.
            signal.signal()
        }
    }

    /// Copies the plugin's stderr to Weir's, each line prefixed with the plugin's name,
    /// until the plugin closes it (exits).
    private static func relay(_ fd: Int32, prefix: String) {
        Thread.detachNewThread {
            defer { Glibc.close(fd) }
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending += chunk[0..<n]
                while let newline = pending.firstIndex(of: 0x0a) {
                    FileHandle.standardError.write(Data(Array(prefix.utf8) + pending[...newline]))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { FileHandle.standardError.write(Data(Array(prefix.utf8) + pending + [0x0a])) }
        }
    }

    /// Writes all of `bytes`, waiting at most `timeoutMs` for the plugin to read them.
    func write(_ bytes: [UInt8], timeoutMs: Int32 = 30_000) throws(PluginFault) {
        var done = 0
        let deadline = monotonicMillis() + Int64(timeoutMs)
        while done < bytes.count {
            done += try writeSome(bytes, from: done)
            if done < bytes.count {
                let left = deadline - monotonicMillis()
                guard left > 0 else { throw PluginFault(description: "it did not read its stdin within \(timeoutMs) ms") }
                var ready = pollfd(fd: input, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, Int32(min(left, 1000)))
            }
        }
    }

    /// Writes what the pipe takes now; 0 when it is full.
    private func writeSome(_ bytes: [UInt8], from start: Int) throws(PluginFault) -> Int {
        while true {
            let n = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress! + start, bytes.count - start) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
            throw PluginFault(description: "its stdin is closed (\(String(cString: strerror(errno))))")
        }
    }

    /// Sends requests `0..<count` (request i is `line(i)`, made when the pipe can take it)
    /// while reading the replies, one line each, in order, handed to `reply`: the plugin
    /// works on one request while Weir encodes the next and reads the last answer.
    /// `timeoutMs` is the longest wait for a reply (or for room to write).
    /// `cancel` set ends the wait at once (the run is aborting).
    func exchange(
        count: Int, line: (Int) -> [UInt8], timeoutMs: Int32, cancel: StopFlag?,
        reply: (Int, [UInt8]) throws(PluginFault) -> Void
    ) throws(PluginFault) {
        var sending: [UInt8] = []
        var sent = 0  // bytes of `sending` written
        var made = 0  // requests made
        var answered = 0  // replies read
        var deadline = monotonicMillis() + Int64(timeoutMs)
        // Set when its stdin broke: replies already written are still read, up to its end.
        var broken: PluginFault?
        while answered < count {
            if broken == nil && sent == sending.count && made < count {
                sending = line(made)
                sent = 0
                made += 1
            }
            if broken == nil && sent < sending.count {
                do { sent += try writeSome(sending, from: sent) } catch { broken = error }
            }
            while answered < count, let text = takeLine() {
                try reply(answered, text)
                answered += 1
                deadline = monotonicMillis() + Int64(timeoutMs)
            }
            guard answered < count else { break }
            // The request went whole and another is due: make it before waiting.
            if broken == nil && sent == sending.count && made < count { continue }
            let left = deadline - monotonicMillis()
            guard left > 0 else { throw PluginFault(description: "it did not answer within \(timeoutMs) ms") }
            if cancel?.isSet == true { throw PluginWorker.cancelled }
            var fds = [pollfd(fd: output, events: Int16(POLLIN), revents: 0)]
            if broken == nil && sent < sending.count { fds.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
            let polled = poll(&fds, nfds_t(fds.count), Int32(min(left, 200)))
            if polled < 0 && errno != EINTR { throw PluginFault(description: "poll failed (\(String(cString: strerror(errno))))") }
            if fds[0].revents != 0 {
                switch fill() {
                case .data: break
                case .end: throw broken ?? PluginFault(description: "it closed its stdout")
                case .tooLong: throw Self.tooLong
                }
            }
        }
    }

    /// A whole line from what was read, if there is one.
    private func takeLine() -> [UInt8]? {
        guard let newline = pending[scanned...].firstIndex(of: 0x0a) else {
            scanned = pending.count
            return nil
        }
        let line = Array(pending[..<newline])
        pending.removeSubrange(...newline)
        scanned = 0
        return line
    }

    /// The longest line a plugin may write; a longer one is a fault, not unbounded memory.
    static let maxLineBytes = 256 << 20

    private enum Filled {
        case data
        /// The end of its stdout (a torn last line, written by a plugin that died, is
        /// dropped: it is not protocol).
        case end
        case tooLong
    }

    /// Reads what the plugin wrote.
    private func fill() -> Filled {
        while true {
            let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .data }
            if n <= 0 {
                pending.removeAll()
                scanned = 0
                return .end
            }
            pending += chunk[0..<n]
            return pending.count - scanned > Self.maxLineBytes ? .tooLong : .data
        }
    }

    static let tooLong = PluginFault(description: "it wrote a line of more than \(maxLineBytes >> 20) MiB")

    enum Read {
        case line([UInt8])
        case end
        /// No whole line within the wait.
        case nothing
        /// A line longer than `maxLineBytes`.
        case tooLong
    }

    private var chunk = [UInt8](repeating: 0, count: 64 << 10)
    /// Bytes of `pending` already searched for a newline.
    private var scanned = 0

    /// The next line, if one arrives within `waitMs`.
    func nextLine(waitMs: Int) -> Read {
        let deadline = monotonicMillis() + Int64(max(waitMs, 0))
        while true {
            if let line = takeLine() { return .line(line) }
            let left = deadline - monotonicMillis()
            guard left > 0 else { return .nothing }
            var ready = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, Int32(left)) <= 0 { continue }
            switch fill() {
            case .data: continue
            case .end: return .end
            case .tooLong: return .tooLong
            }
        }
    }

    /// Kills it at once (it crashed, hangs or talks nonsense) and reaps it.
    func kill() {
        closePipes()
        signal(SIGKILL)
        reap(waitMs: nil)
    }

    /// Signals its process group, unless it is reaped (its pid may be someone else's).
    private func signal(_ number: Int32) {
        guard status == nil else { return }
        Glibc.kill(-pid, number)
    }

    /// Shuts it down politely: the close message and the end of its stdin, then SIGTERM
    /// after `graceMs`, then SIGKILL after as long again.
    /// - Parameter closeSent: the close message went already, and its grace time is over.
    func close(graceMs: Int, closeSent: Bool = false) {
        Self.close([self], graceMs: graceMs, closeSent: closeSent)
    }

    /// Shuts several down at once, each step for all of them together (so the wait is
    /// the grace time once, not once per process).
    static func close(_ processes: [PluginProcess], graceMs: Int, closeSent: Bool = false) {
        for process in processes {
            if !closeSent { try? process.write(Array(#"{"type":"close"}"#.utf8) + [0x0a], timeoutMs: 100) }
            process.closePipes()
        }
        var running = processes.filter { !$0.reap(waitMs: 0) }
        for (signal, name) in [(SIGTERM, "SIGTERM"), (SIGKILL, "SIGKILL")] {
            let deadline = ContinuousClock.now + .milliseconds(closeSent && signal == SIGTERM ? 0 : graceMs)
            while !running.isEmpty && ContinuousClock.now < deadline {
                // Marked before the reaps: an exit in between ends the wait at once.
                let marks = running.map { $0.exited.mark() }
                running = running.filter { !$0.reap(waitMs: 0) }
                if running.isEmpty { break }
                ChangeSignal.wait(for: marks, until: deadline)
            }
            let after = signal == SIGTERM ? "the close message" : "SIGTERM"
            for process in running {
                process.say("still running \(graceMs) ms after \(after); sending \(name)")
                process.signal(signal)
            }
        }
        for process in running { process.reap(waitMs: nil) }
    }

    private func say(_ message: String) {
        FileHandle.standardError.write(Data("weir: plugin \(name): \(message)\n".utf8))
    }

    private var pipesOpen = true

    private func closePipes() {
        guard pipesOpen else { return }
        pipesOpen = false
        Glibc.close(input)
        Glibc.close(output)
    }

    deinit {
        if status == nil { kill() }
        closePipes()
    }

    /// Its wait status, once reaped.
    private(set) var status: Int32?

    /// Waits for it to exit, at most `waitMs` (for ever when nil); true once reaped.
    @discardableResult
    private func reap(waitMs: Int?) -> Bool {
        if status != nil { return true }
        let deadline = ContinuousClock.now + .milliseconds(waitMs ?? 0)
        var raw: Int32 = 0
        while true {
            // Marked before the try: an exit after it ends the wait below at once.
            let mark = exited.mark()
            let reaped = waitpid(pid, &raw, waitMs == nil ? 0 : WNOHANG)
            if reaped == pid {
                status = raw
                return true
            }
            if reaped < 0 && errno != EINTR {
                status = -1
                return true
            }
            if waitMs != nil {
                if ContinuousClock.now >= deadline { return false }
                mark.wait(until: deadline)
            }
        }
    }

    /// After its stdout ended: its wait status once it exits within `waitMs` (else nil).
    func waitForExit(waitMs: Int) -> Int32? {
        reap(waitMs: waitMs) ? status : nil
    }

    /// "status 3" or "signal 9" for a wait status.
    static func describe(_ status: Int32) -> String {
        status & 0x7f == 0 ? "status \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
    }
}
