import Foundation
import Synchronization
import WeirLog

/// One process of a transform or sink plugin, and how a batch gets an answer from it.
///
/// `call` sends a batch line and waits for the reply with the batch's id. A plugin that
/// exits, writes a line that is not a reply (logged, truncated), or stays silent for
/// `timeoutMs` is killed and started again, after a pause that doubles with each restart
/// in a row (0.1 s up to 5 s), and the batch is sent again. A reply with `"error"` is
/// the plugin refusing the batch: it is sent again too. After `maxAttempts` the batch
/// fails with the last reason — or, when no process of the plugin ever answered, the
/// plugin cannot run at all and the run stops with the reason.
final class PluginWorker {
    let manifest: PluginManifest
    let settings: PluginSettings
    /// Shared by a plugin's processes: one that answered proves the plugin can run.
    let answered: StopFlag
    private let initLine: [UInt8]
    private var process: PluginProcess?
    private var restartsInARow = 0

    init(manifest: PluginManifest, settings: PluginSettings, initLine: [UInt8], answered: StopFlag) {
        self.manifest = manifest
        self.settings = settings
        self.initLine = initLine
        self.answered = answered
    }

    deinit { process?.kill() }

    enum Outcome {
        /// The reply object (its `id` matched).
        case reply([String: Value])
        /// Every attempt failed; the reason of the last.
        case failed(String)
        /// The plugin never answered: it cannot run.
        case fatal(String)
    }

    func call(_ line: [UInt8], id: Int) -> Outcome {
        var lastProblem = ""
        for attempt in 1...settings.maxAttempts {
            if restartsInARow > 0 || attempt > 1 {
                usleep(UInt32(min(100_000 << min(max(restartsInARow, attempt) - 1, 6), 5_000_000)))
            }
            do {
                let reply = try exchange(line, id: id)
                answered.set()
                restartsInARow = 0
                guard case .string(let refusal)? = reply["error"] else { return .reply(reply) }
                lastProblem = refusal
                settings.say(manifest, "batch \(id) refused: \(refusal) (attempt \(attempt) of \(settings.maxAttempts))")
            } catch {
                lastProblem = error.description
                process?.kill()
                process = nil
                restartsInARow += 1
                settings.say(manifest, "\(lastProblem); restarting it (attempt \(attempt) of \(settings.maxAttempts))")
            }
        }
        if !answered.isSet {
            return .fatal("plugin \(manifest.name) (\(manifest.directory)/plugin.yaml) cannot run: \(lastProblem)")
        }
        return .failed("plugin \(manifest.name): \(lastProblem)")
    }

    private func exchange(_ line: [UInt8], id: Int) throws(PluginFault) -> [String: Value] {
        if process == nil {
            let started = try PluginProcess(name: manifest.name, command: manifest.command, directory: manifest.directory)
            process = started
            try started.write(initLine)
        }
        let process = process!
        let text: [UInt8]?
        do {
            try process.write(line)
            text = try process.readLine(timeoutMs: settings.timeoutMs)
        } catch {
            throw exited(process, id: id) ?? error
        }
        guard let text else {
            throw exited(process, id: id) ?? PluginFault(description: "it closed its stdout without answering batch \(id)")
        }
        guard case .object(let reply)? = try? JSONValueParser.parse(text), reply["id"] == .int(Int64(id)) else {
            throw PluginFault(description: "it wrote a line that is not the reply to batch \(id): \(PluginSettings.excerpt(text))")
        }
        return reply
    }

    /// "it exited with status 3 …" when the process has ended (its pipes broke because of it).
    private func exited(_ process: PluginProcess, id: Int) -> PluginFault? {
        guard let status = process.waitForExit(waitMs: 500) else { return nil }
        return PluginFault(description: "it exited with \(PluginProcess.describe(status)) without answering batch \(id)")
    }

    func close() {
        process?.close(graceMs: settings.graceMs)
        process = nil
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

    init(_ options: ComponentOptions) {
        if let n = options.int("timeout_ms") { timeoutMs = Int32(n) }
        if let n = options.int("max_attempts") { maxAttempts = Int(n) }
    }

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
