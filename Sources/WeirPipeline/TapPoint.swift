import Synchronization

/// Where `weir tap` listens: the records leaving one component, sampled, for whoever
/// asks. With no listener the pipeline pays one atomic load per batch; with listeners it
/// hands each at most `perBatch` records (evenly spread over the batch), and a listener
/// that falls `bufferedBatches` behind misses batches rather than slowing the pipeline.
public final class TapPoint: Sendable {
    private let listeners = Mutex<[UInt64: AsyncStream<[PipelineRecord]>.Continuation]>([:])
    private let count = Atomic<Int>(0)
    private let nextID = Atomic<UInt64>(0)
    /// At most this many records of one batch reach a listener.
    public static let perBatch = 100
    /// Batches a listener may have waiting before new ones are skipped.
    public static let bufferedBatches = 32

    init() {}

    /// A stream of sampled batches leaving the component, until the caller stops
    /// iterating it.
    public func listen() -> AsyncStream<[PipelineRecord]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [PipelineRecord].self, bufferingPolicy: .bufferingOldest(Self.bufferedBatches))
        let id = nextID.add(1, ordering: .relaxed).newValue
        listeners.withLock { $0[id] = continuation }
        count.add(1, ordering: .releasing)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            if listeners.withLock({ $0.removeValue(forKey: id) }) != nil { count.subtract(1, ordering: .releasing) }
        }
        return stream
    }

    /// Whether anyone listens (so callers build records for the tap only then).
    public var isListening: Bool { count.load(ordering: .relaxed) > 0 }

    /// Offers a batch that left the component.
    func offer(_ records: [PipelineRecord]) {
        guard isListening, !records.isEmpty else { return }
        let sample = Self.sample(records)
        listeners.withLock { for continuation in $0.values { continuation.yield(sample) } }
    }

    /// At most `perBatch` records, evenly spread over the batch.
    static func sample(_ records: [PipelineRecord]) -> [PipelineRecord] {
        guard records.count > perBatch else { return records }
        return (0..<perBatch).map { records[$0 * records.count / perBatch] }
    }

    /// Ends every listener's stream (the component is done).
    func finish() {
        let all = listeners.withLock { listeners in
            defer { listeners.removeAll() }
            return Array(listeners.values)
        }
        count.store(0, ordering: .releasing)
        for continuation in all { continuation.finish() }
    }
}
