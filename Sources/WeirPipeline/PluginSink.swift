import Foundation
import Synchronization
import Logging
import WeirLog

/// A sink run by an out-of-process plugin: Weir writes `{"type":"batch","id":N,
/// "records":[…]}` and the plugin acknowledges with `{"id":N}` once the records are
/// stored — naming any it refuses with `"failed":[{"index":i,"error":"…"}]` (they go to
/// the dead-letter topic) — or refuses the batch with `{"id":N,"error":"…"}` (sent
/// again, then dead-lettered). Only after the acknowledgement are the batch's offsets
/// committed, so a restart sends the unacknowledged batches again: a plugin that stores
/// idempotently by `topic`/`partition`/`offset` is exactly once.
///
/// `parallelism: N` gives N processes, written to at the same time by the N members.
final class PluginSink: SinkOutput, @unchecked Sendable {  // workers are handed out under `lock`
    let manifest: PluginManifest
    let setup: SinkSetup
    private let lock = NSCondition()
    private var idle: [PluginWorker]
    private var all: [PluginWorker]
    private let nextID = Atomic<Int>(0)

    var writesConcurrently: Bool { true }

    init(manifest: PluginManifest, setup: SinkSetup) {
        self.manifest = manifest
        self.setup = setup
        let answered = StopFlag()
        let line = PluginManifest.initLine(setup.options)
        all = (0..<max(setup.options.parallelism, 1)).map { _ in
            PluginWorker(manifest: manifest, settings: PluginSettings(setup.options), initLine: line, answered: answered, cancel: setup.abort)
        }
        idle = all
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        guard !records.isEmpty else { return }
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
        let parts = PluginManifest.requests(records)
        let first = nextID.add(parts.count, ordering: .relaxed).newValue - parts.count + 1
        let ids = parts.indices.map { first + $0 }
        let outcomes = worker.call(ids) { PluginManifest.request(id: ids[$0], records[parts[$0]]) }
        for (part, outcome) in zip(parts, outcomes) {
            let stored = records[part]
            switch outcome {
            case .fatal(let reason):
                throw PipelineRunner.NotRunnable(description: reason)
            case .failed(let reason):
                setup.logger.warning("records sent to the dead-letter topic", metadata: ["sink": "\(setup.options.id)", "reason": "\(reason)"])
                for record in stored { setup.deadLetter(record, reason: reason) }
            case .reply(let reply):
                for (index, reason) in PluginManifest.failures(in: reply, batchSize: stored.count) {
                    setup.deadLetter(stored[stored.startIndex + index], reason: "plugin \(manifest.name): \(reason)")
                }
            }
        }
    }

    func close() {
        PluginWorker.close(lock.withLock { all })
    }
}
