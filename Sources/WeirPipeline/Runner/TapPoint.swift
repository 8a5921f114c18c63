import Synchronization
import WeirValues

/// Where `weir tap` listens: the records leaving one component, sampled, for whoever
/// asks. With no listener the pipeline pays one atomic load per batch; with listeners it
/// hands each at most `perBatch` records (evenly spread over the batch), and a listener
/// that falls `bufferedBatches` behind misses batches rather than slowing the pipeline.
public final class TapPoint: Sendable {
    private struct Listeners {
        var streams: [UInt64: AsyncStream<[PipelineRecord]>.Continuation] = [:]
        var nextID: UInt64 = 0
        /// The component is done: new listeners get an ended stream.
        var finished = false
    }

    private let listeners = Mutex(Listeners())
    /// How many listen; changed only under `listeners`' lock, read without it.
    private let count = Atomic<Int>(0)
    /// At most this many records of one batch reach a listener.
    public static let perBatch = 100
    /// Batches a listener may have waiting before new ones are skipped.
    public static let bufferedBatches = 32

    init() {}

    /// A stream of sampled batches leaving the component, until the component is done
    /// or the caller stops iterating it.
    public func listen() -> AsyncStream<[PipelineRecord]> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: [PipelineRecord].self, bufferingPolicy: .bufferingOldest(Self.bufferedBatches))
        let id = listeners.withLock { listeners -> UInt64? in
            guard !listeners.finished else { return nil }
            listeners.nextID += 1
            listeners.streams[listeners.nextID] = continuation
            count.store(listeners.streams.count, ordering: .releasing)
            return listeners.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            listeners.withLock { listeners in
                listeners.streams[id] = nil
                count.store(listeners.streams.count, ordering: .releasing)
            }
        }
        return stream
    }

    /// Whether anyone listens (so callers build records for the tap only then).
    public var isListening: Bool { count.load(ordering: .relaxed) > 0 }

    /// Offers a batch that left the component.
    func offer(_ records: [PipelineRecord]) {
        guard isListening, !records.isEmpty else { return }
        let sample = Self.sample(records)
        listeners.withLock { for continuation in $0.streams.values { continuation.yield(sample) } }
    }

    /// At most `perBatch` records, evenly spread over the batch.
    static func sample(_ records: [PipelineRecord]) -> [PipelineRecord] {
        guard records.count > perBatch else { return records }
        return (0..<perBatch).map { records[$0 * records.count / perBatch] }
    }

    /// Ends every listener's stream, and any later one's at once (the component is done).
    func finish() {
        let ending = listeners.withLock { listeners in
            defer {
                listeners.streams.removeAll()
                listeners.finished = true
                count.store(0, ordering: .releasing)
            }
            return Array(listeners.streams.values)
        }
        for continuation in ending { continuation.finish() }
    }
}
