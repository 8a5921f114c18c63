import Dispatch
import Foundation
import WeirPipeline

/// What `weir run` shows while it runs, on standard error: on a terminal a view redrawn
/// every second (records/s and bytes/s per component, each sink's lag); otherwise one
/// summary line per pipeline every `interval` seconds.
final class RunProgress: @unchecked Sendable {  // state is touched only on `queue`
    private let runners: [PipelineRunner]
    private let interval: Double
    private let terminal = isatty(2) == 1
    private let queue = DispatchQueue(label: "weir.progress")
    private var timer: (any DispatchSourceTimer)?
    private var previous: [ObjectIdentifier: ComponentStats.Counts] = [:]
    private var lastTick = Date()
    private var drawnLines = 0

    init(runners: [PipelineRunner], interval: Double) {
        self.runners = runners
        self.interval = interval
    }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let period = terminal ? 1.0 : max(0.1, interval)
        timer.schedule(deadline: .now() + period, repeating: period)
        timer.setEventHandler { [self] in tick() }
        timer.resume()
        self.timer = timer
    }

    func finish() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
    }

    private func tick() {
        let now = Date()
        let seconds = max(0.001, now.timeIntervalSince(lastTick))
        lastTick = now
        var lines: [String] = []
        for runner in runners {
            var parts: [String] = []
            for stats in runner.stats where stats.kind != .transform {
                let counts = stats.counts
                let before = previous[ObjectIdentifier(stats)] ?? .init()
                previous[ObjectIdentifier(stats)] = counts
                let rate = Double(counts.sent - before.sent) / seconds
                let bytes = Double(counts.bytes - before.bytes) / seconds
                var part = "\(stats.id) \(Self.rate(rate)) rec/s \(Self.bytes(bytes))/s"
                if stats.kind == .sink { part += " lag \(stats.lag)" }
                if counts.failedUpstream + counts.errors > 0 { part += " failed \(counts.failedUpstream + counts.errors)" }
                parts.append(part)
            }
            lines.append("weir: \(runner.definition.name): " + parts.joined(separator: " | "))
        }
        var text = ""
        if terminal {
            // Move back over the last drawing and clear it.
            if drawnLines > 0 { text += "\u{1B}[\(drawnLines)A" }
            for line in lines { text += "\u{1B}[2K" + line + "\n" }
            drawnLines = lines.count
        } else {
            text = lines.joined(separator: "\n") + "\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func rate(_ value: Double) -> String {
        value >= 10_000 ? String(format: "%.0fk", value / 1000) : String(format: "%.0f", value)
    }

    static func bytes(_ value: Double) -> String {
        if value >= Double(1 << 20) { return String(format: "%.1f MiB", value / Double(1 << 20)) }
        if value >= Double(1 << 10) { return String(format: "%.1f KiB", value / Double(1 << 10)) }
        return String(format: "%.0f B", value)
    }
}
