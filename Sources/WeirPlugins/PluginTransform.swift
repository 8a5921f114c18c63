import Foundation
import Synchronization
import WeirLog
import WeirPipeline
import WeirValues

/// A transform run by an out-of-process plugin (`plugins/README.md` has the protocol):
/// Weir writes `{"type":"init",…}` once, then `{"type":"batch","id":N,"records":[…]}`
/// per batch, and reads back `{"id":N,"records":[…]}` — with `"failed":[{"index":i,
/// "error":"…"}]` naming input records it could not handle (they go where `on_error`
/// says), or `{"id":N,"error":"…"}` refusing the whole batch. Faults and retries are
/// `PluginWorker`'s. `parallelism: N` runs N processes; each batch goes to a free one.
final class PluginTransform: RecordTransform {
    let manifest: PluginManifest
    private let pool: PluginWorkerPool

    init(manifest: PluginManifest, options: ComponentOptions) {
        self.manifest = manifest
        pool = PluginWorkerPool(manifest: manifest, options: options, abort: options.abort)
    }

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for (inputs, outcome) in pool.call(batch) {
            switch outcome {
            case .fatal(let reason):
                result.fatal = reason
                return result
            case .failed(let reason):
                for record in inputs { result.fail(record, reason) }
            case .reply(let reply):
                collect(reply, inputs: inputs, into: &result)
            }
        }
        return result
    }

    /// The records of a reply, and the inputs it names as failed.
    private func collect(_ reply: Fields, inputs: ArraySlice<PipelineRecord>, into result: inout TransformResult) {
        let failed = PluginManifest.failures(in: reply, batchSize: inputs.count)
        for (index, reason) in failed.sorted(by: { $0.key < $1.key }) {
            result.fail(inputs[inputs.startIndex + index], "plugin \(manifest.name): \(reason)")
        }
        guard case .array(let records)? = reply["records"] else {
            // Neither records nor every input failed: not an answer Weir can use.
            for (i, record) in inputs.enumerated() where failed[i] == nil {
                result.fail(record, "plugin \(manifest.name): its reply has no \"records\" array")
            }
            return
        }
        for item in records {
            do {
                result.emit(try PluginWire.record(item))
            } catch {
                // A reply record Weir cannot read: the inputs cannot be told apart, so
                // the bad output itself is dead-lettered with its text.
                result.fail(PipelineRecord(timestamp: currentTimeMillis(), fields: ["reply": item]), "plugin \(manifest.name): \(error)")
            }
        }
    }

    /// Shuts every process down (close message, SIGTERM, SIGKILL).
    func close() { pool.close() }
}
