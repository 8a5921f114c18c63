import Metrics
import Synchronization
import WeirValues

/// Counters and state of one component while a pipeline runs, read by the live view,
/// the summary, `/metrics` and `/api/pipelines`. Each count is added once per batch; the
/// same amounts go to swift-metrics counters (no-ops unless a backend is bootstrapped).
public final class ComponentStats: Sendable {
    public let pipeline: String
    public let id: String
    public let kind: ComponentKind
    public let type: String
    /// Where `weir tap` listens to the records leaving this component.
    public let tap = TapPoint()
    private let counters = Mutex<Counts>(Counts())
    private let current = Mutex<State>(.starting(nil))
    private let lagSource = Mutex<(@Sendable () -> Int64)?>(nil)
    private let metrics: Metrics

    public struct Counts: Sendable, Equatable {
        /// Records that reached the component (a source: records it read).
        public var received = 0
        /// Records that left it: appended (source), produced (transform), written (sink).
        public var sent = 0
        /// Bytes of the records' values it read (sources from their input, sinks from
        /// their topics).
        public var bytes = 0
        /// Records the component itself failed (a transform's failures, records a sink's
        /// output refused, records a source could not append).
        public var errors = 0
        /// Records of this component's failures sent to the dead-letter topic.
        public var deadLettered = 0
        /// For a sink: records of its input that a transform before it failed (the run
        /// summary's "failed").
        public var failedUpstream = 0
        /// For a source: what it received and had to drop unread, with no way to ask for
        /// it again (the `syslog` source's datagrams while the topic is full).
        public var dropped = 0

        public init() {}
    }

    /// Where the component is in its run.
    public enum State: Sendable, Equatable {
        /// Not yet running; the detail says what it waits for.
        case starting(String?)
        case running
        /// Done: its input ended (`--once`, bounded sources) or the run stopped.
        case finished
        case failed(String)

        public var name: String {
            switch self {
            case .starting: "starting"
            case .running: "running"
            case .finished: "finished"
            case .failed: "failed"
            }
        }

        public var detail: String? {
            switch self {
            case .starting(let detail): detail
            case .failed(let reason): reason
            case .running, .finished: nil
            }
        }
    }

    private struct Metrics: Sendable {
        let received: Counter
        let sent: Counter
        let bytes: Counter
        let errors: Counter
        let deadLettered: Counter
        let dropped: Counter

        init(_ dimensions: [(String, String)]) {
            received = Counter(label: "weir_component_received_records_total", dimensions: dimensions)
            sent = Counter(label: "weir_component_sent_records_total", dimensions: dimensions)
            bytes = Counter(label: "weir_component_received_bytes_total", dimensions: dimensions)
            errors = Counter(label: "weir_component_errors_total", dimensions: dimensions)
            deadLettered = Counter(label: "weir_component_dead_lettered_records_total", dimensions: dimensions)
            dropped = Counter(label: "weir_component_dropped_records_total", dimensions: dimensions)
        }
    }

    init(pipeline: String, id: String, kind: ComponentKind, type: String) {
        self.pipeline = pipeline
        self.id = id
        self.kind = kind
        self.type = type
        metrics = Metrics([("pipeline", pipeline), ("component", id), ("kind", kind.rawValue), ("type", type)])
    }

    public var counts: Counts { counters.withLock { $0 } }

    public var state: State { current.withLock { $0 } }

    /// Records in the sink's input topics not yet written (sinks only), as the sink
    /// itself counts them for back-pressure.
    public var lag: Int64 { lagSource.withLock { $0 }?() ?? 0 }

    func measureLag(with source: @escaping @Sendable () -> Int64) { lagSource.withLock { $0 = source } }

    func set(_ state: State) { current.withLock { $0 = state } }

    func add(received: Int, sent: Int, bytes: Int = 0, errors: Int = 0, failedUpstream: Int = 0) {
        counters.withLock {
            $0.received += received
            $0.sent += sent
            $0.bytes += bytes
            $0.errors += errors
            $0.failedUpstream += failedUpstream
        }
        if received > 0 { metrics.received.increment(by: received) }
        if sent > 0 { metrics.sent.increment(by: sent) }
        if bytes > 0 { metrics.bytes.increment(by: bytes) }
        if errors > 0 { metrics.errors.increment(by: errors) }
    }

    func addDeadLettered(_ records: Int, errors: Int = 0) {
        counters.withLock {
            $0.deadLettered += records
            $0.errors += errors
        }
        metrics.deadLettered.increment(by: records)
        if errors > 0 { metrics.errors.increment(by: errors) }
    }

    func addDropped(_ records: Int) {
        counters.withLock { $0.dropped += records }
        metrics.dropped.increment(by: records)
    }
}
