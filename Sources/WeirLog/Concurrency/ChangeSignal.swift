import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something that changes, for threads and tasks to wait on without polling: a partition's
/// new data, a sink's progress. Every `signal()` moves the signal to a new generation and
/// wakes whoever waits.
///
/// No wake-up is lost when a change races a wait: take a `mark()` *before* looking at the
/// state the signal stands for, and if that state is not yet what you want, wait on the
/// mark; the wait returns at once when the signal fired since the mark was taken.
///
/// ```swift
/// let mark = partition.newData.mark()
/// if partition.endOffset > position { return }
/// mark.wait(until: .now + .milliseconds(100))
/// ```
///
/// A thread blocks (`Mark.wait(until:)`, never on the cooperative pool); a task suspends
/// (`await mark.wait(until:)`), and cancelling it ends the wait. One wait may watch several
/// signals (`ChangeSignal.wait(for:until:)`).
public final class ChangeSignal: Sendable {
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var generation: UInt64 = 0
        /// Waiting now; each is woken (and forgotten) by the next signal.
        var waiters: [any Wakeup] = []
    }

    public init() {}

    /// The signal as it is now: a wait on this mark returns once it fires again.
    public func mark() -> Mark {
        Mark(signal: self, generation: state.withLock { $0.generation })
    }

    /// How many waits are registered now (for tests).
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Moves to the next generation and wakes every waiter. Cheap when none waits (one
    /// uncontended lock): call it on every change.
    public func signal() {
        let woken = state.withLock { state -> [any Wakeup] in
            state.generation &+= 1
            guard !state.waiters.isEmpty else { return [] }
            defer { state.waiters.removeAll(keepingCapacity: true) }
            return state.waiters
        }
        // Woken outside the lock: a task's cancellation handler takes it (under the
        // runtime's own lock on that task), so resuming inside it could deadlock.
        for waiter in woken { waiter.wake() }
    }

    /// A generation of one signal, taken before looking at what it stands for.
    public struct Mark: Sendable {
        public let signal: ChangeSignal
        let generation: UInt64

        /// Whether the signal fired since this mark was taken.
        public var hasChanged: Bool { signal.state.withLock { $0.generation } != generation }

        /// Blocks the calling thread until the signal fires after this mark (at once if it
        /// already did) or `deadline` passes (never, when nil). Returns whether it fired.
        @available(*, noasync, message: "blocks its thread; await the async wait on the cooperative pool")
        @discardableResult
        public func wait(until deadline: ContinuousClock.Instant?) -> Bool {
            ChangeSignal.wait(for: [self], until: deadline)
        }

        /// Suspends the task until the signal fires after this mark (at once if it already
        /// did), `deadline` passes (never, when nil) or the task is cancelled; no thread is
        /// held meanwhile. Returns whether it fired.
        @discardableResult
        public func wait(until deadline: ContinuousClock.Instant?) async -> Bool {
            await ChangeSignal.wait(for: [self], until: deadline)
        }
    }

    /// Blocks the calling thread until any of the marks' signals fires after its mark (at
    /// once if one already did) or `deadline` passes (never, when nil). Returns whether one
    /// fired. With no marks it sleeps until the deadline.
    @available(*, noasync, message: "blocks its thread; await the async wait on the cooperative pool")
    @discardableResult
    public static func wait(for marks: [Mark], until deadline: ContinuousClock.Instant?) -> Bool {
        let parked = ParkedThread()
        if register(parked, for: marks) {
            parked.park(until: deadline)
            unregister(parked, from: marks)
        }
        return marks.contains(where: \.hasChanged)
    }

    /// Suspends the task until any of the marks' signals fires after its mark (at once if
    /// one already did), `deadline` passes (never, when nil) or the task is cancelled.
    /// Returns whether one fired.
    @discardableResult
    public static func wait(for marks: [Mark], until deadline: ContinuousClock.Instant?) async -> Bool {
        guard let deadline else { return await waitUntilChangedOrCancelled(marks) }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await waitUntilChangedOrCancelled(marks) }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return false
            }
            // Whichever ends first ends the other: cancelling the waiting child wakes it.
            _ = await group.next()
            group.cancelAll()
            await group.waitForAll()
            return marks.contains(where: \.hasChanged)
        }
    }

    private static func waitUntilChangedOrCancelled(_ marks: [Mark]) async -> Bool {
        let suspended = SuspendedTask()
        if register(suspended, for: marks) {
            await withTaskCancellationHandler {
                await suspended.suspend()
            } onCancel: {
                suspended.wake()
            }
            unregister(suspended, from: marks)
        }
        return marks.contains(where: \.hasChanged)
    }

    /// Adds `waiter` to every mark's signal whose generation is still the mark's; false
    /// (and nothing left registered) when one has moved on already.
    private static func register(_ waiter: any Wakeup, for marks: [Mark]) -> Bool {
        for (i, mark) in marks.enumerated() {
            let unchanged = mark.signal.state.withLock { state in
                guard state.generation == mark.generation else { return false }
                state.waiters.append(waiter)
                return true
            }
            if !unchanged {
                unregister(waiter, from: marks[..<i])
                return false
            }
        }
        return true
    }

    private static func unregister(_ waiter: any Wakeup, from marks: some Collection<Mark>) {
        for mark in marks {
            mark.signal.state.withLock { state in
                if let index = state.waiters.firstIndex(where: { $0 === waiter }) { state.waiters.remove(at: index) }
            }
        }
    }
}

/// A waiter a signal can wake; waking twice (two signals of one wait) is harmless.
private protocol Wakeup: AnyObject, Sendable {
    func wake()
}

/// A thread blocked in a wait, on a condition variable of its own.
private final class ParkedThread: Wakeup, @unchecked Sendable {
    // unchecked: `woken` is guarded by `mutex`, a pthread mutex (the condition variable needs one), which the compiler cannot see.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var woken = false

    init() {
        pthread_mutex_init(mutex, nil)
        #if os(Linux)
        // Deadlines on the monotonic clock: a wall-clock step neither cuts nor stretches a wait.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #else
        pthread_cond_init(condition, nil)
        #endif
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func wake() {
        pthread_mutex_lock(mutex)
        woken = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until woken or `deadline` (never, when nil).
    func park(until deadline: ContinuousClock.Instant?) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard let deadline else {
            while !woken { pthread_cond_wait(condition, mutex) }
            return
        }
        // The deadline is re-read on every turn: ContinuousClock and the condition's clock
        // differ, and a wait must never end before its deadline.
        while !woken {
            let (seconds, attoseconds) = ContinuousClock.now.duration(to: deadline).components
            guard seconds > 0 || (seconds == 0 && attoseconds > 0) else { return }
            let wait = (seconds: Int(min(seconds, 1 << 40)), nanoseconds: Int(attoseconds / 1_000_000_000))
            #if os(Linux)
            var until = timespec()
            clock_gettime(CLOCK_MONOTONIC, &until)
            let nanoseconds = Int(until.tv_nsec) + wait.nanoseconds
            until.tv_sec += wait.seconds + nanoseconds / 1_000_000_000
            until.tv_nsec = nanoseconds % 1_000_000_000
            let result = pthread_cond_timedwait(condition, mutex, &until)
            #else
            var remaining = timespec(tv_sec: wait.seconds, tv_nsec: wait.nanoseconds)
            let result = pthread_cond_timedwait_relative_np(condition, mutex, &remaining)
            #endif
            if result != 0 && result != EINTR && result != ETIMEDOUT { return }  // an error: never spin
        }
    }
}

/// A task suspended in a wait, resumed exactly once: by a signal or by its cancellation,
/// whichever comes first (or at once, when woken before it suspended).
private final class SuspendedTask: Wakeup {
    private enum State {
        case running
        case suspended(CheckedContinuation<Void, Never>)
        case woken
    }

    private let state = Mutex(State.running)

    func suspend() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyWoken = state.withLock { state in
                if case .woken = state { return true }
                state = .suspended(continuation)
                return false
            }
            if alreadyWoken { continuation.resume() }
        }
    }

    func wake() {
        let suspended = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state = .woken }
            if case .suspended(let continuation) = state { return continuation }
            return nil
        }
        suspended?.resume()
    }
}
