import Foundation
import Synchronization
import WeirLog
import WeirPipeline
import WeirValues

/// The processes of a transform or sink plugin (`parallelism` of them): a batch goes to
/// the next free one, in turn, as requests of `PluginManifest.requestSize` records.
/// Each new request gets the next id, across the processes.
final class PluginWorkerPool: @unchecked Sendable {  // workers are handed out under `lock`
    private let lock = NSCondition()
    private var idle: [PluginWorker]
    private let all: [PluginWorker]
    private let nextID = Atomic<Int>(0)

    init(manifest: PluginManifest, options: ComponentOptions, abort: StopFlag?) {
        let answered = StopFlag()
        let line = manifest.initLine(options)
        all = (0..<max(options.parallelism, 1)).map { _ in
            PluginWorker(manifest: manifest, settings: PluginSettings(options), initLine: line, answered: answered, cancel: abort)
        }
        idle = all
    }

    deinit { PluginWorker.close(all) }

    /// What became of the records of `batch`, in order, by the requests that held them
    /// (requests of `PluginManifest.requestSize` records, cut smaller to find a record
    /// that makes the plugin fail).
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
        let outcomes = worker.call(
            count: batch.count, requestSize: PluginManifest.requestSize,
            newID: { nextID.add(1, ordering: .relaxed).newValue }
        ) { id, records in
            PluginManifest.request(id: id, batch[records])
        }
        return outcomes.map { (batch[$0.records], $0.outcome) }
    }

    /// Shuts every process down together (close message, SIGTERM, SIGKILL).
    func close() { PluginWorker.close(all) }
}
