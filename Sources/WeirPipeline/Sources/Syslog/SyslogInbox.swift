import Synchronization
import WeirLog

/// Where the listeners' event loop leaves frames for the source's thread, which owns the
/// topic's writer: a bounded batch under a lock.
///
/// Back-pressure: once the batch holds `limit` bytes, a TCP connection that adds to it
/// is told to stop reading, and is resumed when the source's thread takes the batch; a
/// datagram that does not fit is dropped and counted (UDP cannot be paused). While the
/// topic's sinks are past their `max_lag`, the source's thread waits before appending
/// what it took, the batch fills, and the connections stop being read.
final class SyslogInbox: Sendable {
    private let state: Mutex<State>
    /// Fires when frames arrive.
    let arrived = ChangeSignal()
    let limit: Int

    private struct State: ~Copyable {
        var batch = SyslogBatch()
        /// Datagrams dropped because the batch was full.
        var dropped = 0
        /// The connections that stopped reading, each resumed by its closure.
        var paused: [@Sendable () -> Void] = []
        /// The listeners' event loop is gone: there is nothing left to resume.
        var closed = false
    }

    init(limit: Int) {
        self.limit = limit
        state = Mutex(State())
    }

    /// Lets `fill` add to the batch; when the batch is then full, keeps `resume` to call
    /// once the batch is taken, and returns true: the caller stops reading until then.
    func add(resume: @escaping @Sendable () -> Void, _ fill: (inout SyslogBatch) -> Void) -> Bool {
        let paused = state.withLock { state -> Bool in
            fill(&state.batch)
            let full = state.batch.bytes.count >= limit
            if full { state.paused.append(resume) }
            return full
        }
        arrived.signal()
        return paused
    }

    /// Adds one datagram unless the batch is full (then counts it dropped).
    func add(datagram: UnsafeRawBufferPointer, maxFrameBytes: Int) {
        state.withLock { state in
            guard state.batch.bytes.count + min(datagram.count, maxFrameBytes) <= limit else {
                state.dropped += 1
                return
            }
            if datagram.count > maxFrameBytes {
                state.batch.add(UnsafeRawBufferPointer(rebasing: datagram[0..<maxFrameBytes]))
                state.batch.truncated += 1
            } else {
                state.batch.add(datagram)
            }
        }
        arrived.signal()
    }

    /// Swaps `batch` (cleared first, to reuse its storage) for the frames waiting, resumes
    /// the paused connections, and returns the datagrams dropped since the last take.
    func take(into batch: inout SyslogBatch) -> Int {
        batch.clear()
        let (dropped, paused) = state.withLock { state -> (Int, [@Sendable () -> Void]) in
            swap(&state.batch, &batch)
            let taken = (state.dropped, state.closed ? [] : state.paused)
            state.dropped = 0
            state.paused.removeAll()
            return taken
        }
        for resume in paused { resume() }
        return dropped
    }

    /// The listeners are closed (their event loop stopped): the connections paused then
    /// are gone, and resuming them would schedule work on a loop that no longer runs.
    func close() {
        state.withLock { $0.closed = true }
    }

    /// Whether nothing waits to be taken.
    var isEmpty: Bool { state.withLock { $0.batch.isEmpty && $0.dropped == 0 } }
}
