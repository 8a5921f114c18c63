import Foundation
import WeirLog
import WeirPipeline
import WeirValues

/// A source run by an out-of-process plugin. Weir starts it with
/// `{"type":"init","options":{…},"position":P,"once":B}` — P is the position stored with
/// the last batch the log holds (null at the first start) — and the plugin writes one
/// line per batch: `{"records":[{"value":"…"},…],"position":P'}`. Each line is appended
/// as one batch with its position, atomically, so after a crash the plugin is handed the
/// position of exactly the last batch the log kept: nothing lost, nothing twice.
///
/// The plugin ends its input with `{"type":"end"}` or by exiting with status 0 (with
/// `once`, once it has written what there is now). One that exits otherwise, or writes
/// a line that is not a batch, is killed and started again from the stored position,
/// after a pause that doubles with each restart in a row (0.1 s up to 5 s); one that
/// fails `max_attempts` times in a row before its first batch cannot run, and the run
/// stops with the reason. At the end of a run it gets `{"type":"close"}` and the end of
/// its stdin; batches it writes within the grace time are still appended, then SIGTERM,
/// then SIGKILL.
struct PluginSource: PipelineSource {
    let manifest: PluginManifest
    let settings: PluginSettings
    /// Connected once the plugin writes its first line (`{"type":"ready"}` or a batch).
    var reportsConnection: Bool { true }

    private enum Ending {
        case finished
        case stopped
        case fault(String)
    }

    func run(_ context: SourceContext) throws {
        var restartsInARow = 0
        var producedOnce = false
        var lastProblem = ""
        while !context.stop.isSet {
            if restartsInARow > 0 {
                if !producedOnce && restartsInARow >= settings.maxAttempts {
                    throw PipelineError(
                        description: "plugin \(manifest.name) (\(manifest.directory)/plugin.yaml) cannot run: \(lastProblem)")
                }
                let pause = Duration.milliseconds(min(100 << min(restartsInARow - 1, 6), 5_000))
                if context.stop.wait(until: .now + pause) { break }
            }
            let ending: Ending
            let process: PluginProcess
            do {
                process = try PluginProcess(name: manifest.name, command: manifest.command, directory: manifest.directory)
                var line = Array(#"{"type":"init","once":\#(context.once),"position":"#.utf8)
                line += Array((context.position ?? "null").utf8)
                line += Array(#","options":"#.utf8) + manifest.optionsJSON(context.options) + Array("}\n".utf8)
                try process.write(line, timeoutMs: settings.timeoutMs)
            } catch {
                lastProblem = error.description
                settings.say(manifest, "\(lastProblem); restarting it")
                restartsInARow += 1
                settings.countRestart()
                context.disconnected("plugin \(manifest.name) is restarting: \(lastProblem)")
                continue
            }
            ending = try pump(process, context, producedOnce: &producedOnce, restartsInARow: &restartsInARow)
            switch ending {
            case .finished:
                process.close(graceMs: settings.graceMs)
                try context.writer.flush(force: true)
                return
            case .stopped:
                // Asked to finish: batches it still writes in the grace time count.
                try? process.write(Array(#"{"type":"close"}"#.utf8) + [0x0a])
                let deadline = monotonicMillis() + Int64(settings.graceMs)
                while monotonicMillis() < deadline, case .line(let line) = process.nextLine(waitMs: Int(deadline - monotonicMillis())) {
                    guard let accepted = try? accept(line, context), accepted != .end else { break }
                }
                process.close(graceMs: settings.graceMs, closeSent: true)
            case .fault(let reason):
                lastProblem = reason
                process.kill()
                restartsInARow += 1
                settings.countRestart()
                context.disconnected("plugin \(manifest.name) is restarting: \(reason)")
                settings.say(manifest, "\(reason); restarting it from its last stored position")
            }
        }
        try context.writer.flush(force: true)
    }

    /// Appends what the plugin writes until it ends, fails or the run stops.
    private func pump(_ process: PluginProcess, _ context: SourceContext, producedOnce: inout Bool, restartsInARow: inout Int) throws
        -> Ending
    {
        while !context.stop.isSet {
            switch process.nextLine(waitMs: 100) {
            case .nothing: continue
            case .tooLong: return .fault(PluginProcess.tooLong.description)
            case .end:
                guard let status = process.waitForExit(waitMs: settings.graceMs) else {
                    return .fault("it closed its stdout but did not exit")
                }
                return status == 0 ? .finished : .fault("it exited with \(PluginProcess.describe(status))")
            case .line(let line):
                do {
                    switch try accept(line, context) {
                    case .end: return .finished
                    case .ready: continue
                    case .batch:
                        // Only a batch shows the plugin works: a plugin that says ready and
                        // then fails still runs out of attempts.
                        producedOnce = true
                        restartsInARow = 0
                    }
                } catch let error as PluginWire.BadRecord {
                    return .fault("it wrote a line that is not a batch (\(error)): \(PluginSettings.excerpt(line))")
                }
            }
        }
        return .stopped
    }

    private enum Accepted {
        case batch
        case ready
        case end
    }

    /// Appends one batch line, or takes `{"type":"ready"}` or `{"type":"end"}`. Throws
    /// `BadRecord` for a line that is none of these, and the log's errors. Any of them
    /// means the plugin reached its input: the source counts as connected.
    private func accept(_ line: [UInt8], _ context: SourceContext) throws -> Accepted {
        guard case .object(let message)? = try? JSONValueParser.parse(line) else {
            throw PluginWire.BadRecord(description: "not a JSON object")
        }
        if message["type"] == .string("end") { return .end }
        if message["type"] == .string("ready") {
            context.connected()
            return .ready
        }
        guard message["records"] != nil || message["position"] != nil else {
            throw PluginWire.BadRecord(description: "no \"records\" and no \"position\"")
        }
        var records: [SourceRecord] = []
        if let items = message["records"] {
            guard case .array(let list) = items else { throw PluginWire.BadRecord(description: "\"records\" is not an array") }
            records = try list.map { item throws(PluginWire.BadRecord) in try PluginWire.sourceRecord(item) }
        }
        let position = message["position"].flatMap { $0 == .null ? nil : $0.jsonText() }
        try context.append(records, position: position)
        try context.flush()
        context.connected()
        return .batch
    }
}
