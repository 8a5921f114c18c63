import Dispatch
public import Foundation
import Synchronization
public import WeirLog
public import WeirPipeline

/// What the HTTP endpoint knows of a running `weir run`: the log once it is open, the
/// pipelines once they run, and each component's rates over the last second.
public final class RunMonitor: Sendable {
    private struct Attached {
        var log: EmbeddedLog?
        var runners: [PipelineRunner] = []
        var ended = false
    }

    private let attached = Mutex(Attached())
    private let rates = Mutex<[ObjectIdentifier: Rate]>([:])
    private let previous = Mutex<(at: UInt64, counts: [ObjectIdentifier: ComponentStats.Counts])>((0, [:]))
    /// Signalled to stop the sampling thread.
    private let ended = DispatchSemaphore(value: 0)
    public let startedAt = Date()

    struct Rate: Sendable {
        var received = 0.0
        var sent = 0.0
        var bytes = 0.0
    }

    public init() {}

    /// The log is open and these pipelines are about to run.
    public func attach(log: EmbeddedLog, runners: [PipelineRunner]) {
        attached.withLock {
            $0.log = log
            $0.runners = runners
        }
        Thread.detachNewThread { [self] in
            sample()
            while ended.wait(timeout: .now() + 1) == .timedOut { sample() }
        }
    }

    /// The run is over (the log is about to close): nothing is ready any more.
    public func end() {
        ended.signal()
        attached.withLock {
            $0.ended = true
            $0.log = nil
        }
    }

    var log: EmbeddedLog? { attached.withLock { $0.log } }
    var runners: [PipelineRunner] { attached.withLock { $0.runners } }

    /// Records and bytes per second of each component over the last second.
    func rate(of stats: ComponentStats) -> Rate { rates.withLock { $0[ObjectIdentifier(stats)] } ?? Rate() }

    private func sample() {
        let now = DispatchTime.now().uptimeNanoseconds
        var counts: [ObjectIdentifier: ComponentStats.Counts] = [:]
        for runner in runners {
            for stats in runner.stats { counts[ObjectIdentifier(stats)] = stats.counts }
        }
        let (before, then) = previous.withLock { previous in
            defer { previous = (now, counts) }
            return (previous.counts, previous.at)
        }
        guard then > 0 else { return }
        let seconds = max(0.001, Double(now - then) / 1e9)
        var fresh: [ObjectIdentifier: Rate] = [:]
        for (id, current) in counts {
            let old = before[id] ?? .init()
            fresh[id] = Rate(received: Double(current.received - old.received) / seconds, sent: Double(current.sent - old.sent) / seconds,
                             bytes: Double(current.bytes - old.bytes) / seconds)
        }
        rates.withLock { $0 = fresh }
    }

    /// Why the run is not ready, one reason per pipeline or component; empty when it
    /// is: the log is open, every pipeline runs, and every source and sink is running
    /// (a source connected to its input) or done with its input.
    public func notReady() -> [Problem] {
        let (log, runners, ended) = attached.withLock { ($0.log, $0.runners, $0.ended) }
        if ended { return [Problem(pipeline: nil, component: nil, reason: "weir is shutting down")] }
        guard log != nil else { return [Problem(pipeline: nil, component: nil, reason: "the log is opening (recovering after a crash can take a while)")] }
        var problems: [Problem] = []
        for runner in runners {
            let name = runner.definition.name
            let phase = runner.phase
            guard phase == .running else {
                let reason = if case .failed(let error) = phase { "failed: \(error)" } else { phase.name }
                problems.append(Problem(pipeline: name, component: nil, reason: "pipeline is \(reason)"))
                continue
            }
            for stats in runner.stats where stats.kind != .transform {
                switch stats.state {
                case .running, .finished: continue
                case .starting(let detail):
                    problems.append(Problem(pipeline: name, component: stats.id, reason: "starting" + (detail.map { ": \($0)" } ?? "")))
                case .failed(let reason):
                    problems.append(Problem(pipeline: name, component: stats.id, reason: "failed: \(reason)"))
                }
            }
        }
        return problems
    }

    public struct Problem: Sendable, Codable, Equatable {
        public var pipeline: String?
        public var component: String?
        public var reason: String
    }

    /// The component `name` names: `pipeline.component`, or a component id alone when
    /// only one pipeline has it.
    func component(named name: String) -> Result<ComponentStats, LookupError> {
        let all = runners.flatMap(\.stats)
        let exact = all.filter { "\($0.pipeline).\($0.id)" == name }
        let byID = all.filter { $0.id == name }
        if let found = exact.first ?? (byID.count == 1 ? byID.first : nil) { return .success(found) }
        let known = all.map { "\($0.pipeline).\($0.id)" }.joined(separator: ", ")
        if byID.count > 1 {
            return .failure(LookupError(description: "component '\(name)' is in several pipelines; name one of: \(byID.map { "\($0.pipeline).\($0.id)" }.joined(separator: ", "))"))
        }
        return .failure(LookupError(description: "no component '\(name)'" + (known.isEmpty ? " (no pipeline is running yet)" : "; components: \(known)")))
    }

    struct LookupError: Error, CustomStringConvertible {
        var description: String
    }
}
