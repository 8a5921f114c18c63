import Synchronization
import WeirLog
import WeirPipeline

/// Hands requests' records from the HTTP handlers (tasks on NIO's event loops and the
/// cooperative pool, which must never block) to the one thread that owns the source's
/// writer (a `SourceWriter` is single-threaded), and its answer back.
///
/// A handler suspends in `submit` until the writer thread has appended and flushed its
/// records, or refused them; no thread is held meanwhile. Every submitted request gets
/// exactly one answer: the writer thread answers what it takes, and `close` answers what
/// is left (and every later submit) with `.unavailable`.
final class HTTPIngestQueue: Sendable {
    /// What became of one request's records.
    enum Outcome: Sendable, Equatable {
        /// Appended and flushed: as durable as the topic's flush policy makes them.
        case appended(Int)
        /// A sink of the topic is past its `max_lag`: nothing appended, come back later.
        case busy
        /// Nothing appended (the source stops, or the log failed): why.
        case unavailable(String)
    }

    struct Job: Sendable {
        var records: [SourceRecord]
        fileprivate var reply: CheckedContinuation<Outcome, Never>

        func answer(_ outcome: Outcome) { reply.resume(returning: outcome) }
    }

    private struct State {
        var jobs: [Job] = []
        var closed = false
    }

    private let state = Mutex(State())
    /// Fires when a job is queued.
    let queued = ChangeSignal()

    /// Queues `records` for the writer thread and waits for its answer.
    func submit(_ records: [SourceRecord]) async -> Outcome {
        await withCheckedContinuation { reply in
            let job = Job(records: records, reply: reply)
            let accepted = state.withLock { state in
                guard !state.closed else { return false }
                state.jobs.append(job)
                return true
            }
            if accepted {
                queued.signal()
            } else {
                job.answer(.unavailable("the source is stopping"))
            }
        }
    }

    /// Every job queued now, in arrival order (for the writer thread).
    func take() -> [Job] {
        state.withLock { state in
            defer { state.jobs.removeAll() }
            return state.jobs
        }
    }

    /// Refuses every later submit and answers what is still queued with `outcome`.
    func close(answering outcome: Outcome) {
        let left = state.withLock { state in
            state.closed = true
            defer { state.jobs.removeAll() }
            return state.jobs
        }
        for job in left { job.answer(outcome) }
    }
}
