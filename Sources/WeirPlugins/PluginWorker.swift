import Foundation
import Metrics
import Synchronization
import WeirLog
import WeirPipeline
import WeirValues

/// One process of a transform or sink plugin, and how its requests get answers.
///
/// `call` sends a batch as several requests (each its own id) and reads the replies while
/// it writes, so the plugin works on one request while Weir encodes the next. A plugin
/// that exits, writes a line that is not the reply due (logged, truncated), or stays
/// silent for `timeoutMs` is killed and started again. The fault is the first unanswered
/// request's (replies come in order); the requests after it were perhaps never read, so
/// they are sent again as they were. The faulty request is sent again in two halves, and
/// so on, until the record that makes the plugin fail is alone in a request (a poison
/// record, as Kafka Connect and Benthos isolate them): after `maxAttempts` faults of
/// requests holding it, that record fails with the reason and the others go on. A record
/// alone that fails fewer times (a batch of one) is sent again after a pause that doubles
/// with each try (0.1 s up to 5 s); each other restart waits 0.1 s.
///
/// A reply with `"error"` is the plugin refusing that request: it is sent again whole,
/// after the same pauses, and after `maxAttempts` refusals its records fail with the reason.
///
/// A plugin that fails on everything stops the run (`Outcome.fatal`, nothing of the batch
/// failed). While no process of the plugin has ever answered, a record that failed alone
/// proves nothing (a plugin that crashes at start fails on every record): the run stops
/// when `maxAttempts` records have failed alone, or when a call ends with nothing
/// answered. Once it has answered, the run stops when `failuresInARowToStop` records in a
/// row fail alone with nothing answered in between.
final class PluginWorker: @unchecked Sendable {  // one caller at a time: its pool hands it out under a lock
    let manifest: PluginManifest
    let settings: PluginSettings
    /// Shared by a plugin's processes: one that answered proves the plugin can run.
    let answered: StopFlag
    private let initLine: [UInt8]
    private var process: PluginProcess?
    /// Records that failed alone since the plugin last answered a request.
    private var failedAloneInARow = 0

    /// Records failing alone in a row, with nothing answered in between, after which a
    /// plugin that did answer once is taken to fail on everything.
    static let failuresInARowToStop = 10

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
        case reply(Fields)
        /// Every attempt failed; the reason of the last.
        case failed(String)
        /// The plugin cannot run, or fails on everything: the run stops.
        case fatal(String)
    }

    /// Records of a call sent as one request, and what became of the requests that held them.
    private struct Part {
        var records: Range<Int>
        /// Its request id, kept while the same records are sent again.
        var id: Int?
        /// Faults (crash, hang, garbage) of requests that held these records, when the
        /// request was the one the plugin failed on.
        var faults = 0
        /// Sends of exactly these records that were refused or failed, in a row.
        var tries = 0
    }

    /// What became of records `0..<count`, in order, each range sent as one request:
    /// `line(id, range)` is the request with id `id` of the records in `range`, and
    /// `newID()` gives each new request its id (a request sent again keeps its id).
    func call(
        count: Int, requestSize: Int, newID: () -> Int,
        line: (Int, Range<Int>) -> [UInt8]
    ) -> [(records: Range<Int>, outcome: Outcome)] {
        var pending = stride(from: 0, to: count, by: requestSize).map { Part(records: $0..<min($0 + requestSize, count)) }
        var finished: [(records: Range<Int>, outcome: Outcome)] = []
        var pauseTries = 0
        var lastFault: PluginFault?
        while !pending.isEmpty {
            if pauseTries > 0 {
                // An abort ends the pause at once (then the call, below).
                let deadline = ContinuousClock.now + .milliseconds(min(100 << min(pauseTries - 1, 6), 5_000))
                if let cancel { cancel.wait(until: deadline) } else { ChangeSignal.wait(for: [], until: deadline) }
            }
            // Aborting: nothing of this batch is committed, so its records are not failed
            // (which would dead-letter them) but the call is.
            if cancel?.isSet == true { return [(0..<count, .fatal(Self.cancelled.description))] }
            for index in pending.indices where pending[index].id == nil { pending[index].id = newID() }
            let ids = pending.map { $0.id! }
            var replies = [Fields?](repeating: nil, count: pending.count)
            var refusals = [String?](repeating: nil, count: pending.count)
            var fault: PluginFault?
            do {
                try exchange(ids, line: { line(ids[$0], pending[$0].records) }) { index, reply in
                    failedAloneInARow = 0
                    if case .string(let refusal)? = reply["error"] { refusals[index] = refusal } else { replies[index] = reply }
                }
            } catch {
                process?.kill()
                process = nil
                if cancel?.isSet == true { return [(0..<count, .fatal(Self.cancelled.description))] }
                fault = error
                settings.countRestart()
            }
            // The request the plugin failed on: the first without an answer.
            let suspect = fault == nil ? nil : pending.indices.first { replies[$0] == nil && refusals[$0] == nil }
            var next: [Part] = []
            pauseTries = 0
            for (index, var part) in pending.enumerated() {
                if let reply = replies[index] {
                    finished.append((part.records, .reply(reply)))
                } else if let refusal = refusals[index] {
                    part.tries += 1
                    settings.say(manifest, "batch \(ids[index]) refused: \(refusal) (attempt \(part.tries) of \(settings.maxAttempts))")
                    if part.tries >= settings.maxAttempts {
                        finished.append((part.records, .failed("plugin \(manifest.name): \(refusal)")))
                    } else {
                        pauseTries = max(pauseTries, part.tries)
                        next.append(part)
                    }
                } else if index == suspect, let fault {
                    part.faults += 1
                    part.tries += 1
                    pauseTries = max(pauseTries, 1)
                    if part.records.count > 1 {
                        let middle = part.records.lowerBound + part.records.count / 2
                        settings.say(
                            manifest,
                            "\(fault.description); restarting it and sending the \(part.records.count) records of batch \(ids[index]) again as two requests"
                        )
                        next.append(Part(records: part.records.lowerBound..<middle, faults: part.faults))
                        next.append(Part(records: middle..<part.records.upperBound, faults: part.faults))
                    } else if part.faults < settings.maxAttempts {
                        settings.say(
                            manifest,
                            "\(fault.description); restarting it and sending the record of batch \(ids[index]) again (attempt \(part.faults) of \(settings.maxAttempts))"
                        )
                        pauseTries = max(pauseTries, part.tries)
                        next.append(part)
                    } else {
                        failedAloneInARow += 1
                        if failedAloneInARow >= (answered.isSet ? Self.failuresInARowToStop : settings.maxAttempts) {
                            return [(0..<count, .fatal(failsOnEverything(fault)))]
                        }
                        settings.say(
                            manifest,
                            "\(fault.description); restarting it without the record of batch \(ids[index]), which made it fail \(part.faults) times"
                        )
                        finished.append(
                            (
                                part.records,
                                .failed(
                                    "plugin \(manifest.name): \(fault.description), a request of this record alone (it failed \(part.faults) times with it)"
                                )
                            ))
                    }
                } else {
                    // Not answered because the plugin failed before it: sent again as it was.
                    next.append(part)
                }
            }
            pending = next
            lastFault = fault ?? lastFault
        }
        // Records that failed alone while the plugin never answered: nothing shows that it
        // can run at all (a plugin that crashes at start looks the same on one record).
        if !answered.isSet, let lastFault { return [(0..<count, .fatal(failsOnEverything(lastFault)))] }
        return finished.sorted { $0.records.lowerBound < $1.records.lowerBound }
    }

    /// Why the run stops: the plugin never answered, or failed on many records in a row.
    private func failsOnEverything(_ fault: PluginFault) -> String {
        let place = "plugin \(manifest.name) (\(manifest.directory)/plugin.yaml)"
        return answered.isSet
            ? "\(place) fails on every record: \(failedAloneInARow) records in a row made it fail, each sent alone, with nothing answered in between (the last time: \(fault.description))"
            : "\(place) cannot run: it never answered, and every record sent to it alone made it fail (the last time: \(fault.description))"
    }

    private func exchange(_ ids: [Int], line: (Int) -> [UInt8], reply: (Int, Fields) -> Void) throws(PluginFault) {
        if process == nil {
            let started = try PluginProcess(name: manifest.name, command: manifest.command, directory: manifest.directory)
            process = started
            try started.write(initLine, timeoutMs: settings.timeoutMs)
        }
        let process = process!
        var done = 0  // replies read
        do {
            try process.exchange(count: ids.count, line: line, timeoutMs: settings.timeoutMs, cancel: cancel) {
                (index, text) throws(PluginFault) in
                guard case .object(let object)? = try? JSONValueParser.parse(text), object["id"] == .int(Int64(ids[index])) else {
                    throw PluginFault(
                        description: "it wrote a line that is not the reply to batch \(ids[index]): \(PluginSettings.excerpt(text))")
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
    /// `max_attempts`: refusals of a request, or faults of requests holding a record,
    /// before those records fail.
    var maxAttempts = 3
    /// How long a closing plugin gets before SIGTERM, and again before SIGKILL.
    var graceMs = 2_000
    /// Restarts of the component's plugin processes (`weir_plugin_restarts_total`).
    private let restarts: Counter

    init(_ options: ComponentOptions) {
        if let n = options.int("timeout_ms") { timeoutMs = Int32(n) }
        if let n = options.int("max_attempts") { maxAttempts = Int(n) }
        restarts = Counter(
            label: "weir_plugin_restarts_total",
            dimensions: [
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
