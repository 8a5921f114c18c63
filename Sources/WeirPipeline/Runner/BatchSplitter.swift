import Foundation

/// Runs a transform that handles each record on its own (a parser, a filter) over the
/// two halves of a large batch at once: the second half on a thread of the splitter's
/// own, the first on the caller's. A member otherwise parses on one core while the other
/// waits; with the halves the parse, the largest cost of most pipelines, uses both.
///
/// The output is what one call over the whole batch gives: the halves' outputs and
/// failures one after the other, in order. One caller at a time has the thread; a second
/// member calling meanwhile (`parallelism` > 1, where the members already share the
/// cores) runs its batch whole, inline. The thread starts at the first split and ends
/// when the splitter is stopped or released.
final class BatchSplitter: Sendable {
    /// Batches smaller than this run whole: a handoff costs more than it saves.
    static let minimumRecords = 1024

    private let worker = Worker()

    deinit { worker.stop() }

    /// `transform` over `batch`, split when it is large and the thread is free.
    func process(_ batch: consuming [PipelineRecord], with transform: any RecordTransform) -> TransformResult {
        guard batch.count >= Self.minimumRecords, transform.processesRecordsIndependently, worker.claim() else {
            return transform.process(batch)
        }
        var first = batch
        let second = Array(first[(first.count / 2)...])
        first.removeSubrange((first.count / 2)...)
        let pending = worker.start { transform.process(second) }
        var result = transform.process(first)
        let rest = pending.wait()
        worker.release()
        for (name, records) in rest.outputs { result.outputs[name, default: []] += records }
        result.failures += rest.failures
        result.fatal = result.fatal ?? rest.fatal
        return result
    }

    /// Ends the thread (the run is over).
    func stop() { worker.stop() }

    /// The second half's result, once the thread has it.
    final class Pending: @unchecked Sendable {
        // unchecked: `result` is set once under `condition`, read after it is.
        private let condition = NSCondition()
        private var result: TransformResult?

        func set(_ value: TransformResult) {
            condition.withLock {
                result = value
                condition.broadcast()
            }
        }

        func wait() -> TransformResult {
            condition.withLock {
                while result == nil { condition.wait() }
                return result ?? TransformResult()
            }
        }
    }

    /// The thread and the job it is given.
    private final class Worker: @unchecked Sendable {
        // unchecked: every var is behind `condition`.
        private let condition = NSCondition()
        private var job: (@Sendable () -> Void)?
        private var claimed = false
        private var started = false
        private var stopped = false

        /// Takes the thread for one split; false when another caller has it, or it stopped.
        func claim() -> Bool {
            condition.withLock {
                guard !claimed, !stopped else { return false }
                claimed = true
                return true
            }
        }

        func release() { condition.withLock { claimed = false } }

        /// Runs `work` on the thread; its result comes through the `Pending`.
        func start(_ work: @escaping @Sendable () -> TransformResult) -> Pending {
            let pending = Pending()
            condition.withLock {
                job = { pending.set(work()) }
                if !started {
                    started = true
                    let thread = Thread { [self] in loop() }
                    thread.name = "weir-split"
                    thread.start()
                }
                condition.broadcast()
            }
            return pending
        }

        func stop() {
            condition.withLock {
                stopped = true
                condition.broadcast()
            }
        }

        /// Runs each job given; a job given before a stop still runs (its caller waits for it).
        private func loop() {
            condition.lock()
            while true {
                if let work = job {
                    job = nil
                    condition.unlock()
                    work()
                    condition.lock()
                } else if stopped {
                    break
                } else {
                    condition.wait()
                }
            }
            condition.unlock()
        }
    }
}
