import Foundation
import WeirTestSupport

/// A real Kafka client (kcat, a Python script) run against a served directory, to its
/// end or in the background, never on Swift's cooperative pool.
enum Clients {
    static let kcat = "/usr/bin/kcat"
    static let scripts = Paths.packageRoot + "/Tests/Interop/kafka"

    /// Runs a client to its end (from a thread of its own): status, stdout, stderr.
    static func run(_ executable: String, _ arguments: [String], input: Data? = nil) async throws -> CommandResult {
        try await onOwnThread { try WeirTestSupport.run(executable, arguments, input: input) }
    }

    /// Runs one of Tests/Interop/kafka's scripts; the JSON object of its last stdout line.
    static func script(_ name: String, _ arguments: [String]) async throws -> (result: CommandResult, summary: [String: Any]) {
        let result = try await run("/usr/bin/env", ["python3", scripts + "/" + name] + arguments)
        let last = result.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
        let summary = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] ?? [:]
        return (result, summary)
    }
}

/// A client in the background whose stdout and stderr are collected as they come.
final class BackgroundClient: @unchecked Sendable {
    let child: ChildProcess
    private let out: StderrCollector
    private let err: StderrCollector
    private let lock = NSLock()
    private var status: Int32?

    init(_ executable: String, _ arguments: [String]) throws {
        child = try ChildProcess(executable, arguments)
        out = StderrCollector(child.stdout)
        err = StderrCollector(child.stderr)
    }

    deinit { _ = stop(signal: SIGKILL) }

    var stdout: String { out.text }
    var stderr: String { err.text }

    /// Waits (from a thread of its own) until `condition` holds of stdout and stderr.
    func waitFor(_ what: String, seconds: Double = 60, _ condition: @escaping @Sendable (String, String) -> Bool) async throws {
        try await onOwnThread { [self] in
            _ = try waitUntil(what, seconds: seconds) { condition(stdout, stderr) ? true : nil }
        }
    }

    /// Signals it and waits for its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        lock.withLock {
            if let status { return status }
            kill(child.pid, signal)
            let result = child.wait()
            status = result
            return result
        }
    }

    /// Its exit status once it ends by itself (from a thread of its own).
    func exited() async throws -> Int32 {
        try await onOwnThread { [self] in
            lock.withLock {
                if let status { return status }
                let result = child.wait()
                status = result
                return result
            }
        }
    }
}
