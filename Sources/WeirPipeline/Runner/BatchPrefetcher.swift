import Dispatch
import Foundation
import Synchronization
import WeirLog

/// Reads a sink member's next batch on a thread of its own while the member transforms
/// and writes the current one: fetching, CRC checks and (for gzip topics) inflating
/// overlap the transforms instead of coming before them. `Batch` is what the reading
/// gives: the batch as read, or (for an output that waits on a server) the batch read and
/// transformed, so that the transforms overlap the wait.
///
/// It holds at most one batch, asked for with `prefetch` and taken with `take` when the
/// member comes to read that partition from that position. Only the member that owns it
/// calls it. A batch is only read, never committed: the member's reader moves on when
/// the member has written it, as with a batch read inline, so a prefetch cannot skip or
/// repeat a record. A batch not taken (another partition came first, the group
/// rebalanced, the member ends) is dropped, and with it any error it met: the member
/// reads again inline and meets the error there, if it is still there.
final class BatchPrefetcher<Batch>: @unchecked Sendable {
    // unchecked: `slot`, `started` and `stopped` are behind `condition`; `read` is Sendable.
    typealias Read = @Sendable (BatchRequest, _ cancelled: () -> Bool) throws -> Batch

    private enum Slot {
        case empty
        case pending(BatchRequest)
        case reading(BatchRequest)
        case read(BatchRequest, Result<Batch, any Error>)

        var request: BatchRequest? {
            switch self {
            case .empty: nil
            case .pending(let request), .reading(let request), .read(let request, _): request
            }
        }
    }

    private let read: Read
    private let name: String
    private let condition = NSCondition()
    private var slot = Slot.empty
    private var started = false
    private var stopped = false
    /// Moves on whenever what the slot holds is given up: a read that began under an
    /// earlier ticket is of no use any more and stops early. Changed under `condition`;
    /// read without it by the reading thread.
    private let ticket = Atomic<Int>(0)
    private let exited = DispatchSemaphore(value: 0)

    /// - Parameter read: reads one batch, as the member would inline.
    init(name: String, read: @escaping Read) {
        self.name = name
        self.read = read
    }

    /// Starts reading `request` in the background, dropping whatever was held. The thread
    /// is started by the first request: a member without partitions never needs it.
    func prefetch(_ request: BatchRequest) {
        condition.withLock {
            guard !stopped else { return }
            ticket.add(1, ordering: .relaxed)
            slot = .pending(request)
            if !started {
                started = true
                let thread = Thread { [self] in loop() }
                thread.name = name
                thread.start()
            }
            condition.broadcast()
        }
    }

    /// The batch of `request` when it was prefetched: same partition, starting where the
    /// member's reader is, and read up to `request.end` or less (the end only grows while a
    /// partition is read). Waits for it if it is still being read; its error, if it met one,
    /// is the error an inline read would throw. Returns nil — and drops what is held — for
    /// any other batch: the member then reads inline.
    func take(_ request: BatchRequest) -> Result<Batch, any Error>? {
        condition.withLock {
            guard let held = slot.request else { return nil }
            guard
                held.key == request.key, held.reader.partition === request.reader.partition,
                held.reader.position == request.reader.position, held.end <= request.end
            else {
                dropLocked()
                return nil
            }
            while true {
                if case .read(_, let result) = slot {
                    slot = .empty
                    return result
                }
                condition.wait()
            }
        }
    }

    /// Drops whatever is held or being read (a rebalance, an abort).
    func discard() {
        condition.withLock { dropLocked() }
    }

    /// Drops what is held and ends the thread, waiting for it (a read in progress stops at
    /// its next record). Called when the member ends, however it ends.
    func stop() {
        let wasStarted = condition.withLock {
            guard !stopped else { return false }
            stopped = true
            dropLocked()
            condition.broadcast()
            return started
        }
        if wasStarted { exited.wait() }
    }

    /// Whether a batch is held or being read (for tests).
    var isHolding: Bool { condition.withLock { slot.request != nil } }

    private func dropLocked() {
        ticket.add(1, ordering: .relaxed)
        slot = .empty
    }

    private func loop() {
        defer { exited.signal() }
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            guard case .pending(let request) = slot else {
                condition.wait()
                continue
            }
            slot = .reading(request)
            let mine = ticket.load(ordering: .relaxed)
            condition.unlock()
            let result = Result { try read(request) { ticket.load(ordering: .relaxed) != mine } }
            condition.lock()
            // A batch given up while it was read is dropped here, and an error it met is nobody's.
            if ticket.load(ordering: .relaxed) == mine {
                slot = .read(request, result)
                condition.broadcast()
            }
        }
    }
}
