import Foundation
import Synchronization
import WeirLog
import WeirValues

/// The processes of a transform or sink plugin (`parallelism` of them): a batch goes to
/// the next free one, in turn, as requests of `PluginManifest.requestSize` records.
final class PluginWorkerPool: @unchecked Sendable {  // workers are handed out under `lock`
    private let lock = NSCondition()
    private var idle: [PluginWorker]
    private let all: [PluginWorker]
    private let nextID = Atomic<Int>(0)

    init(manifest: PluginManifest, options: ComponentOptions, abort: StopFlag?) {
        let answered = StopFlag()
        let line = PluginManifest.initLine(options)
        all = (0..<max(options.parallelism, 1)).map { _ in
            PluginWorker(manifest: manifest, settings: PluginSettings(options), initLine: line, answered: answered, cancel: abort)
        }
        idle = all
    }

    deinit { PluginWorker.close(all) }

    /// Each request of `batch`: the records it held and what became of it.
    func call(_ batch: [PipelineRecord]) -> [(records: ArraySlice<PipelineRecord>, outcome: PluginWorker.Outcome)] {
        let worker = lock.withLock {
            while idle.isEmpty { lock.wait() }
            return idle.removeFirst()  // in turn, so every process takes batches
        }
        defer {
            lock.withLock {
                idle.append(worker)
                lock.signal()
            }
        }
        let parts = PluginManifest.requests(batch)
        let first = nextID.add(parts.count, ordering: .relaxed).newValue - parts.count + 1
        let ids = parts.indices.map { first + $0 }
        let outcomes = worker.call(ids) { PluginManifest.request(id: ids[$0], batch[parts[$0]]) }
        return zip(parts, outcomes).map { (batch[$0], $1) }
    }

    /// Shuts every process down together (close message, SIGTERM, SIGKILL).
    func close() { PluginWorker.close(all) }
}
