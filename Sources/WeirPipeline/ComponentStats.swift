import Synchronization

/// Counters of one component while a pipeline runs, read by the live view and the
/// summary: records and bytes that went through it, and records it failed.
public final class ComponentStats: Sendable {
    public let pipeline: String
    public let id: String
    public let kind: ComponentKind
    private let counters = Mutex<Counts>(Counts())
    private let lagSource = Mutex<(@Sendable () -> Int64)?>(nil)

    public struct Counts: Sendable, Equatable {
        public var records = 0
        public var bytes = 0
        public var failed = 0

        public init() {}
    }

    init(pipeline: String, id: String, kind: ComponentKind) {
        self.pipeline = pipeline
        self.id = id
        self.kind = kind
    }

    public var counts: Counts { counters.withLock { $0 } }

    /// Records in the sink's input topics not yet written (sinks only), as the sink
    /// itself counts them for back-pressure.
    public var lag: Int64 { lagSource.withLock { $0 }?() ?? 0 }

    func measureLag(with source: @escaping @Sendable () -> Int64) { lagSource.withLock { $0 = source } }

    func add(records: Int, bytes: Int, failed: Int = 0) {
        counters.withLock {
            $0.records += records
            $0.bytes += bytes
            $0.failed += failed
        }
    }
}
