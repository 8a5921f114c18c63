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
        /// The log (embedded or a cluster) is open.
        var opened = false
        var runners: [PipelineRunner] = []
        var kafka: KafkaReport?
        var ended = false
    }

    /// What `GET /api/kafka` shows of the Kafka listener (its clients and groups), made
    /// when asked. WeirServer does not know the listener: the command that starts it hands
    /// this over.
    public typealias KafkaReport = @Sendable () async -> any Encodable & Sendable

    private let attached = Mutex(Attached())
    private let latest = Mutex(Snapshot())
    private let previous = Mutex<(at: UInt64, counts: [ObjectIdentifier: ComponentStats.Counts])>((0, [:]))
    /// Signalled to stop the sampling thread.
    private let ended = DispatchSemaphore(value: 0)
    public let startedAt = Date()

    struct Rate: Sendable {
        var received = 0.0
        var sent = 0.0
        var bytes = 0.0
    }

    /// What the log and the sinks said at the last sample. The HTTP handlers read only
    /// this (and counters), never the log itself: a partition's lock can be held for long
    /// (a full disk pauses appends under it), and `/health` must answer meanwhile.
    struct Snapshot: Sendable {
        /// Every topic of the log with its partitions, by name, as `/api/pipelines` lists them.
        var topics: [PipelinesReport.Topic] = []
        /// By pipeline name.
        var groups: [String: [PipelineRunner.GroupPosition]] = [:]
        var sinkLag: [ObjectIdentifier: Int64] = [:]
        var rates: [ObjectIdentifier: Rate] = [:]
    }

    public init() {}

    /// The log is open and these pipelines are about to run: sampling starts, once a
    /// second, on a thread of its own. `log` is nil on a cluster (its topics are the
    /// cluster's to show).
    public func attach(log: EmbeddedLog?, runners: [PipelineRunner]) {
        attached.withLock {
            $0.log = log
            $0.opened = true
            $0.runners = runners
        }
        Thread.detachNewThread { [self] in
            sample()
            while ended.wait(timeout: .now() + 1) == .timedOut { sample() }
        }
    }

    /// A Kafka listener serves the log: `GET /api/kafka` shows what `report` makes, until
    /// the run ends.
    public func attachKafka(_ report: @escaping KafkaReport) {
        attached.withLock { $0.kafka = report }
    }

    /// The run is over (the log is about to close): nothing is ready any more.
    public func end() {
        ended.signal()
        attached.withLock {
            $0.ended = true
            $0.log = nil
            $0.opened = false
            $0.kafka = nil
        }
    }

    var runners: [PipelineRunner] { attached.withLock { $0.runners } }

    /// The Kafka listener's report while one serves.
    var kafka: KafkaReport? { attached.withLock { $0.kafka } }

    var snapshot: Snapshot { latest.withLock { $0 } }

    private func sample() {
        let (log, opened, runners) = attached.withLock { ($0.log, $0.opened, $0.runners) }
        guard opened else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        var snapshot = Snapshot()
        var counts: [ObjectIdentifier: ComponentStats.Counts] = [:]
        for runner in runners {
            for stats in runner.stats {
                counts[ObjectIdentifier(stats)] = stats.counts
                if stats.kind == .sink { snapshot.sinkLag[ObjectIdentifier(stats)] = stats.lag }
            }
            snapshot.groups[runner.definition.name] = runner.groupPositions()
        }
        snapshot.topics = (log?.topicNames ?? []).compactMap { try? log?.topic($0) }.map { topic in
            PipelinesReport.Topic(
                name: topic.name,
                // A partition whose files cannot be opened is left out (reading it says why).
                partitions: topic.partitions.compactMap {
                    try? PipelinesReport.Partition(
                        partition: $0.id, startOffset: $0.startOffset, endOffset: $0.endOffset,
                        sizeBytes: $0.sizeInBytes, segments: $0.segmentCount)
                })
        }
        let (before, then) = previous.withLock { previous in
            defer { previous = (now, counts) }
            return (previous.counts, previous.at)
        }
        let seconds = max(0.001, Double(now - then) / 1e9)
        if then > 0 {
            for (id, current) in counts {
                let old = before[id] ?? .init()
                snapshot.rates[id] = Rate(
                    received: Double(current.received - old.received) / seconds, sent: Double(current.sent - old.sent) / seconds,
                    bytes: Double(current.bytes - old.bytes) / seconds)
            }
        }
        latest.withLock { $0 = snapshot }
    }

    /// Why the run is not ready, one reason per pipeline or component; empty when it
    /// is: the log is open, every pipeline runs, and every source and sink is running
    /// (a source connected to its input) or done with its input.
    public func notReady() -> [Problem] {
        let (opened, runners, ended) = attached.withLock { ($0.opened, $0.runners, $0.ended) }
        if ended { return [Problem(pipeline: nil, component: nil, reason: "weir is shutting down")] }
        guard opened else {
            return [Problem(pipeline: nil, component: nil, reason: "the log is opening (recovering after a crash can take a while)")]
        }
        var problems: [Problem] = []
        for runner in runners {
            let name = runner.definition.name
            let phase = runner.phase
            // A pipeline whose bounded input is all through is done, not broken.
            if phase == .finished { continue }
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
            return .failure(
                LookupError(
                    description:
                        "component '\(name)' is in several pipelines; name one of: \(byID.map { "\($0.pipeline).\($0.id)" }.joined(separator: ", "))"
                ))
        }
        return .failure(
            LookupError(
                description: "no component '\(name)'" + (known.isEmpty ? " (no pipeline is running yet)" : "; components: \(known)")))
    }

    struct LookupError: Error, CustomStringConvertible {
        var description: String
    }
}
