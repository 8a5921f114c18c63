import Foundation
import Metrics
import Synchronization
import WeirLog
import WeirValues

/// One process of a transform or sink plugin, and how its requests get answers.
///
/// `call` sends a batch as several requests (each its own id) and reads the replies while
/// it writes, so the plugin works on one request while Weir encodes the next. A plugin
/// that exits, writes a line that is not the reply due (logged, truncated), or stays
/// silent for `timeoutMs` is killed and started again, after a pause that doubles with
/// each restart in a row (0.1 s up to 5 s), and the requests not yet answered are sent
/// again. A reply with `"error"` is the plugin refusing that request: it is sent again
/// too. After `maxAttempts` a request fails with its last reason — or, when no process
/// of the plugin ever answered, the plugin cannot run at all and the run stops.
final class PluginWorker: @unchecked Sendable {  // one caller at a time: its pool hands it out under a lock
    let manifest: PluginManifest
    let settings: PluginSettings
    /// Shared by a plugin's processes: one that answered proves the plugin can run.
    let answered: StopFlag
    private let initLine: [UInt8]
    private var process: PluginProcess?
    private var restartsInARow = 0

    /// Set when the run aborts: a call in progress stops waiting and retrying.
    let cancel: StopFlag?

    init(manifest: PluginManifest, settings: PluginSettings, initLine: [UInt8], answered: StopFlag, cancel: StopFlag?) {
        self.manifest = manifest
        self.settings = settings
        self.initLine = initLine
        self.answered = answered
        self.cancel = cancel
    }

    static let cancelled = PluginFault(description: "the run stopped")

    deinit { process?.kill() }

    enum Outcome {
        /// The reply object (its `id` matched).
        case reply([String: Value])
        /// Every attempt failed; the reason of the last.
        case failed(String)
        /// The plugin never answered: it cannot run.
        case fatal(String)
    }

    /// The outcome of each request: `ids[i]` is its id, `line(i)` its line.
    func call(_ ids: [Int], line: (Int) -> [UInt8]) -> [Outcome] {
        var replies = [[String: Value]?](repeating: nil, count: ids.count)
        var problems = [String](repeating: "", count: ids.count)
        for attempt in 1...settings.maxAttempts {
            let due = ids.indices.filter { replies[$0] == nil }
            guard !due.isEmpty else { break }
            // Aborting: nothing of this batch is committed, so its records are not failed
            // (which would dead-letter them) but the call is.
            if cancel?.isSet == true { return ids.map { _ in .fatal(Self.cancelled.description) } }
            if restartsInARow > 0 || attempt > 1 {
                usleep(UInt32(min(100_000 << min(max(restartsInARow, attempt) - 1, 6), 5_000_000)))
            }
            do {
                try exchange(due.map { ids[$0] }, line: { line(due[$0]) }) { index, reply in
                    let request = due[index]
                    if case .string(let refusal)? = reply["error"] {
                        problems[request] = refusal
                        settings.say(manifest, "batch \(ids[request]) refused: \(refusal) (attempt \(attempt) of \(settings.maxAttempts))")
                    } else {
                        replies[request] = reply
                    }
                }
                restartsInARow = 0
            } catch {
                for request in due where replies[request] == nil { problems[request] = error.description }
                process?.kill()
                process = nil
                restartsInARow += 1
                settings.countRestart()
                settings.say(manifest, "\(error.description); restarting it (attempt \(attempt) of \(settings.maxAttempts))")
            }
        }
        return ids.indices.map { request in
            if let reply = replies[request] { return .reply(reply) }
            if !answered.isSet {
                return .fatal("plugin \(manifest.name) (\(manifest.directory)/plugin.yaml) cannot run: \(problems[request])")
            }
            return .failed("plugin \(manifest.name): \(problems[request])")
        }
    }

    private func exchange(_ ids: [Int], line: (Int) -> [UInt8], reply: (Int, [String: Value]) -> Void) throws(PluginFault) {
        if process == nil {
            let started = try PluginProcess(name: manifest.name, command: manifest.command, directory: manifest.directory)
            process = started
            try started.write(initLine, timeoutMs: settings.timeoutMs)
        }
        let process = process!
        var done = 0
        do {
            try process.exchange(count: ids.count, line: line, timeoutMs: settings.timeoutMs, cancel: cancel) { (index, text) throws(PluginFault) in
                guard case .object(let object)? = try? JSONValueParser.parse(text), object["id"] == .int(Int64(ids[index])) else {
                    throw PluginFault(description: "it wrote a line that is not the reply to batch \(ids[index]): \(PluginSettings.excerpt(text))")
                }
                answered.set()
                reply(index, object)
                done += 1
            }
        } catch {
            // When its pipes broke because it ended, say how it ended.
            guard let status = process.waitForExit(waitMs: 500) else { throw error }
            throw PluginFault(description: "it exited with \(PluginProcess.describe(status)) without answering batch \(ids[done])")
        }
    }

    func close() {
        Self.close([self])
    }

    /// Shuts the processes of several workers down together.
    static func close(_ workers: [PluginWorker]) {
        let processes = workers.compactMap(\.process)
        for worker in workers { worker.process = nil }
        PluginProcess.close(processes, graceMs: workers.first?.settings.graceMs ?? 2_000)
    }
}

/// What the common plugin options set, with how a plugin's troubles are reported.
struct PluginSettings: Sendable {
    /// `timeout_ms`: how long a batch may take.
    var timeoutMs: Int32 = 30_000
    /// `max_attempts`: sends of one batch before it fails.
    var maxAttempts = 3
    /// How long a closing plugin gets before SIGTERM, and again before SIGKILL.
    var graceMs = 2_000
    /// Restarts of the component's plugin processes (`weir_plugin_restarts_total`).
    private let restarts: Counter

    init(_ options: ComponentOptions) {
        if let n = options.int("timeout_ms") { timeoutMs = Int32(n) }
        if let n = options.int("max_attempts") { maxAttempts = Int(n) }
        restarts = Counter(label: "weir_plugin_restarts_total", dimensions: [
            ("pipeline", options.pipeline), ("component", options.id), ("plugin", options.component.type),
        ])
    }

    func countRestart() { restarts.increment() }

    /// One line on Weir's stderr about the plugin.
    func say(_ manifest: PluginManifest, _ message: String) {
        FileHandle.standardError.write(Data("weir: plugin \(manifest.name): \(message)\n".utf8))
    }

    /// At most 200 bytes of what a plugin wrote, for a message.
    static func excerpt(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(200), as: UTF8.self)
        return bytes.count > 200 ? text + "… (\(bytes.count) bytes)" : text
    }
}
