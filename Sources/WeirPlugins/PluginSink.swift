import Logging
import WeirPipeline
import WeirValues

/// A sink run by an out-of-process plugin: Weir writes `{"type":"batch","id":N,
/// "records":[…]}` and the plugin acknowledges with `{"id":N}` once the records are
/// stored — naming any it refuses with `"failed":[{"index":i,"error":"…"}]` (they go to
/// the dead-letter topic) — or refuses the batch with `{"id":N,"error":"…"}` (sent
/// again, then dead-lettered). Only after the acknowledgement are the batch's offsets
/// committed, so a restart sends the unacknowledged batches again: a plugin that stores
/// idempotently by `topic`/`partition`/`offset` is exactly once.
///
/// `parallelism: N` gives N processes, written to at the same time by the N members.
final class PluginSink: SinkOutput, @unchecked Sendable {  // its state is the pool's, which locks
    let manifest: PluginManifest
    let setup: SinkSetup
    private let pool: PluginWorkerPool

    var writesConcurrently: Bool { true }

    init(manifest: PluginManifest, setup: SinkSetup) {
        self.manifest = manifest
        self.setup = setup
        pool = PluginWorkerPool(manifest: manifest, options: setup.options, abort: setup.abort)
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        guard !records.isEmpty else { return }
        for (stored, outcome) in pool.call(records) {
            switch outcome {
            case .fatal(let reason):
                throw PipelineError(description: reason)
            case .failed(let reason):
                for record in stored { setup.deadLetter(record, reason: reason) }
            case .reply(let reply):
                for (index, reason) in PluginManifest.failures(in: reply, batchSize: stored.count) {
                    setup.deadLetter(stored[stored.startIndex + index], reason: "plugin \(manifest.name): \(reason)")
                }
            }
        }
    }

    func close() { pool.close() }
}
