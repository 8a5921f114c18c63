import Foundation
import WeirLog
import Synchronization

/// A transform run by an out-of-process plugin (`plugins/README.md` has the protocol):
/// newline-delimited JSON over the plugin's stdin and stdout. Weir writes
/// `{"type":"init","options":{…}}` once, then `{"type":"batch","id":N,"records":[…]}`
/// per batch (each record `{"timestamp":ms,"fields":{…}}`), and reads one line back per
/// batch: `{"id":N,"records":[…]}`, or `{"id":N,"error":"…"}` when the plugin refuses the
/// batch. The plugin's stderr goes to Weir's, each line prefixed with its name.
///
/// A plugin that exits, prints a line that is not such a reply, or takes longer than
/// 30 s is stopped (SIGKILL) and started again, and the batch is sent again, up to 3
/// times; after that the batch's records fail with the reason (so `on_error` sends them
/// to the dead-letter topic) — or, if the plugin never answered any batch, the run stops
/// with that reason. Batches of one transform go to its process one at a time.
final class PluginTransform: RecordTransform, @unchecked Sendable {  // mutable state behind `lock`
    let manifest: PluginManifest
    let options: [String: Value]
    let timeoutMs: Int32 = 30_000
    private let lock = NSLock()
    private var process: PluginProcess?
    private var nextID = 0
    /// It answered a batch once: later failures are the batch's, not the plugin's.
    private var answered = false

    init(manifest: PluginManifest, options: [String: Value]) {
        self.manifest = manifest
        self.options = options
    }

    deinit { process?.stop() }

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        lock.withLock {
            var lastProblem = ""
            for attempt in 1...3 {
                do {
                    return try exchange(batch)
                } catch {
                    lastProblem = "\(error)"
                    process?.stop()
                    process = nil
                    FileHandle.standardError.write(Data("weir: plugin \(manifest.name): \(lastProblem); restarting it (attempt \(attempt) of 3)\n".utf8))
                    usleep(UInt32(100_000 << min(attempt, 4)))
                }
            }
            var result = TransformResult()
            if !answered {
                // It never worked: a clear stop, not every record dead-lettered.
                result.fatal = "plugin \(manifest.name) (\(manifest.directory)/plugin.yaml) cannot run: \(lastProblem)"
                return result
            }
            for record in batch { result.fail(record, "plugin \(manifest.name): \(lastProblem)") }
            return result
        }
    }

    private struct Reply: Decodable {
        var id: Int
        var records: [ReplyRecord]?
        var error: String?
    }

    private struct ReplyRecord: Decodable {
        var timestamp: Int64?
        var fields: Value
    }

    struct Broken: Error, CustomStringConvertible {
        var description: String
    }

    private func exchange(_ batch: [PipelineRecord]) throws -> TransformResult {
        if process == nil {
            let started = try PluginProcess(name: manifest.name, command: manifest.command, directory: manifest.directory)
            var line: [UInt8] = Array(#"{"type":"init","options":"#.utf8)
            Value.object(options).writeJSON(into: &line)
            line += Array("}\n".utf8)
            try started.write(line)
            process = started
        }
        nextID += 1
        var line: [UInt8] = Array(#"{"type":"batch","id":\#(nextID),"records":["#.utf8)
        for (i, record) in batch.enumerated() {
            if i > 0 { line.append(UInt8(ascii: ",")) }
            line += Array(#"{"timestamp":\#(record.timestamp),"fields":"#.utf8)
            record.fields.writeJSON(into: &line)
            line.append(UInt8(ascii: "}"))
        }
        line += Array("]}\n".utf8)
        try process!.write(line)
        guard let text = try process!.readLine(timeoutMs: timeoutMs) else {
            throw Broken(description: "it exited (or closed its stdout) without answering")
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(text)), reply.id == nextID else {
            throw Broken(description: "it printed something that is not a reply to batch \(nextID): \(String(decoding: text.prefix(200), as: UTF8.self))")
        }
        answered = true
        var result = TransformResult()
        if let error = reply.error {
            for record in batch { result.fail(record, "plugin \(manifest.name): \(error)") }
            return result
        }
        for record in reply.records ?? [] {
            guard case .object(let fields) = record.fields else { continue }
            result.emit(PipelineRecord(timestamp: record.timestamp ?? 0, fields: fields))
        }
        return result
    }
}

/// A plugin's process with pipes to its stdin and stdout.
final class PluginProcess {
    let pid: pid_t
    private let input: Int32
    private let output: Int32
    private var pending: [UInt8] = []

    init(name: String, command: [String], directory: String) throws {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0, pipe(&errors) == 0 else { throw PluginTransform.Broken(description: "cannot make pipes") }
        for fd in toChild + fromChild + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // `env -C` starts the command in the plugin's folder.
        let spawned = Result { () throws(ChildSpawn.SpawnError) -> Int32 in
            try ChildSpawn.spawn("/usr/bin/env", ["-C", directory] + command, descriptors: [0: toChild[0], 1: fromChild[1], 2: errors[1]])
        }
        close(toChild[0])
        close(fromChild[1])
        close(errors[1])
        guard case .success(let pid) = spawned else {
            close(toChild[1])
            close(fromChild[0])
            close(errors[0])
            throw PluginTransform.Broken(description: "cannot start \(command.joined(separator: " ")): \(spawned)")
        }
        self.pid = pid
        input = toChild[1]
        output = fromChild[0]
        signal(SIGPIPE, SIG_IGN)
        Self.relay(errors[0], prefix: "weir: plugin \(name): ")
    }

    /// Copies the plugin's stderr to Weir's, each line prefixed with the plugin's name,
    /// until the plugin closes it (exits).
    private static func relay(_ fd: Int32, prefix: String) {
        Thread.detachNewThread {
            defer { close(fd) }
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

    func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw PluginTransform.Broken(description: "its stdin is closed (\(String(cString: strerror(errno))))") }
            done += n
        }
    }

    /// The next line from the plugin's stdout (without the newline); nil at its end.
    func readLine(timeoutMs: Int32) throws -> [UInt8]? {
        let deadline = monotonicMillis() + Int64(timeoutMs)
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var scanned = 0  // bytes of `pending` already searched for a newline
        while true {
            if let newline = pending[scanned...].firstIndex(of: 0x0a) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            scanned = pending.count
            let left = deadline - monotonicMillis()
            guard left > 0 else { throw PluginTransform.Broken(description: "it did not answer within \(timeoutMs) ms") }
            var ready = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, Int32(min(left, 1000)))
            if polled < 0 && errno == EINTR { continue }
            guard polled > 0 else { continue }
            let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            pending += chunk[0..<n]
        }
    }

    /// Closes its stdin (its cue to finish), then SIGKILL, and reaps it.
    func stop() {
        close(input)
        close(output)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
