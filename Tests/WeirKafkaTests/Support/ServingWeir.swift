import Foundation
import WeirKafka
import WeirTestSupport

/// A `weir serve --kafka 127.0.0.1:0` on a data directory, in the background: the port
/// the kernel chose is read from its stderr, which a thread collects as it comes. Stopped
/// with SIGTERM when released (or earlier with `stop()`, which gives the exit status).
final class ServingWeir: @unchecked Sendable {
    let child: ChildProcess
    let dataDir: String
    /// `127.0.0.1:PORT`.
    let address: String
    let port: Int
    private let errors: StderrCollector
    private let output: DataReader
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `weir serve` and waits until it says where it serves (blocking: see `start`).
    init(dataDir: String, extra: [String] = []) throws {
        self.dataDir = dataDir
        child = try ChildProcess(Paths.weir, ["serve", "--kafka", "127.0.0.1:0", "--data-dir", dataDir] + extra)
        output = DataReader(child.stdout)
        let errors = StderrCollector(child.stderr)
        self.errors = errors
        let pid = child.pid
        var exited: Int32?
        let found: String
        do {
            found = try waitUntil("weir serve says where it serves") { () -> String? in
                let text = errors.text
                if let range = text.range(of: "serving Kafka clients on "), text[range.upperBound...].contains("\n") {
                    return String(text[range.upperBound...].prefix { !$0.isWhitespace })
                }
                exited = exited ?? Self.reap(pid)
                if let exited { throw Failure(description: "weir serve exited with status \(exited) before serving") }
                return nil
            }
        } catch {
            if exited == nil {
                kill(pid, SIGKILL)
                _ = child.wait()
            }
            throw Failure(description: "\(error); stderr: \(errors.text)")
        }
        address = found
        port = found.split(separator: ":").last.flatMap { Int($0) } ?? 0
    }

    /// Starts `weir serve` from a thread of its own.
    static func start(dataDir: String, extra: [String] = []) async throws -> ServingWeir {
        try await onOwnThread { try ServingWeir(dataDir: dataDir, extra: extra) }
    }

    deinit { _ = stop() }

    /// What it wrote on stderr so far.
    var stderr: String { errors.text }

    /// The exit status once it exited and was waited for, else nil.
    var exitStatus: Int32? { lock.withLock { status } }

    /// A new client connection to it.
    func connect(clientID: String = "weir-wire-test") async throws -> KafkaWireClient {
        try await onOwnThread {
            do {
                return try KafkaWireClient(self.address, clientID: clientID)
            } catch {
                let state = self.exitedStatus().map { "exited with status \($0)" } ?? "running"
                throw Failure(description: "\(error) (weir serve \(state)); stderr: \(self.stderr)")
            }
        }
    }

    /// SIGTERM, then the exit status (blocks until it exits).
    func stop() -> Int32 {
        if let status = exitedStatus() { return status }
        kill(child.pid, SIGTERM)
        return waitForExit()
    }

    /// SIGKILL, then the exit status: a crash, nothing closed cleanly.
    func crash() -> Int32 {
        if let status = exitedStatus() { return status }
        kill(child.pid, SIGKILL)
        return waitForExit()
    }

    /// The exit status if it has exited (reaping it), nil while it runs.
    func exitedStatus() -> Int32? {
        lock.withLock {
            if status == nil { status = Self.reap(child.pid) }
            return status
        }
    }

    /// The status of a child that has exited (reaped), or nil while it runs: as
    /// `ChildProcess.wait`, the exit code or 128 + the signal that ended it.
    private static func reap(_ pid: pid_t) -> Int32? {
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// `stop()` from a thread of its own.
    func stopped() async throws -> Int32 {
        try await onOwnThread { self.stop() }
    }

    /// `crash()` from a thread of its own.
    func crashed() async throws -> Int32 {
        try await onOwnThread { self.crash() }
    }

    private func waitForExit() -> Int32 {
        let result = child.wait()
        _ = output.finish()
        lock.withLock { status = result }
        return result
    }

    /// Waits (from a thread of its own) until stderr has a line containing every one of
    /// `fragments`; that line.
    func logLine(containing fragments: [String], seconds: Double = 20) async throws -> String {
        try await onOwnThread {
            try waitUntil("weir serve logs a line with \(fragments)", seconds: seconds) {
                self.stderr.split(separator: "\n").first { line in fragments.allSatisfy { line.contains($0) } }.map(String.init)
            }
        }
    }
}

/// A pipe read to its end by a thread of its own, what came so far readable at any time.
final class StderrCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                lock.withLock { data.append(chunk) }
            }
        }
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

/// Runs `weir` on a data directory to its end, from a thread of its own; its stdout.
/// Fails unless it exits 0.
@discardableResult
func weirCommand(_ dataDir: String, _ arguments: [String]) async throws -> String {
    try await onOwnThread {
        let result = try weir(dataDir, arguments)
        guard result.status == 0 else {
            throw Failure(description: "weir \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdoutText
    }
}
