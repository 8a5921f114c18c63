import Foundation
import Synchronization
import Testing

@testable import WeirLog

/// SignalTestCounters shared by the threads and tasks of a test.
final class SignalTestCounters: Sendable {
    let sent = Atomic<Int>(0), acknowledged = Atomic<Int>(0), timeouts = Atomic<Int>(0), woken = Atomic<Int>(0)
}

@Suite("Change signal")
struct ChangeSignalTests {
    /// Runs `body` on a thread of its own (never the cooperative pool) and returns its result.
    func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    /// Waits (test side) until `condition` holds, checking it at most 10,000 times a
    /// millisecond apart: a count rather than a time, since a pool other tests keep busy
    /// can hold this task back for a long while.
    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<10_000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("condition not met after 10,000 checks")
    }

    @Test("a blocked thread wakes when the signal fires")
    func threadWakes() async throws {
        let signal = ChangeSignal()
        let mark = signal.mark()
        async let woken = onThread { mark.wait(until: .now + .seconds(30)) }
        try await eventually { signal.waiterCount == 1 }
        signal.signal()
        // True means the signal woke it: at its deadline it would have returned false.
        #expect(await woken)
        #expect(signal.waiterCount == 0)
    }

    @Test("an awaiting task wakes when the signal fires")
    func taskWakes() async throws {
        let signal = ChangeSignal()
        let mark = signal.mark()
        let waiting = Task { await mark.wait(until: .now + .seconds(30)) }
        try await eventually { signal.waiterCount == 1 }
        signal.signal()
        #expect(await waiting.value)
        #expect(signal.waiterCount == 0)
    }

    @Test("a mark taken before the signal fired returns at once, for a thread and a task")
    func alreadyChanged() async {
        let signal = ChangeSignal()
        let mark = signal.mark()
        #expect(!mark.hasChanged)
        signal.signal()
        #expect(mark.hasChanged)
        // Without a deadline these would block forever if the change were missed.
        #expect(await onThread { mark.wait(until: nil) })
        #expect(await mark.wait(until: nil))
        #expect(!signal.mark().hasChanged)
    }

    @Test("a wait with nothing signalled ends at its deadline", arguments: [false, true])
    func deadline(onThread thread: Bool) async {
        let signal = ChangeSignal()
        let mark = signal.mark()
        let (fired, waited) =
            thread
            ? await onThread {
                let started = ContinuousClock.now
                return (mark.wait(until: .now + .milliseconds(80)), ContinuousClock.now - started)
            }
            : await {
                let started = ContinuousClock.now
                return (await mark.wait(until: .now + .milliseconds(80)), ContinuousClock.now - started)
            }()
        #expect(!fired)
        #expect(waited >= .milliseconds(80))
        // On a thread of its own the wake-up is prompt (a task's depends on the pool).
        if thread { #expect(waited < .seconds(5)) }
        #expect(signal.waiterCount == 0)
    }

    @Test("cancelling an awaiting task ends its wait and unregisters it")
    func cancellation() async throws {
        let signal = ChangeSignal()
        let mark = signal.mark()
        let waiting = Task { await mark.wait(until: nil) }
        try await eventually { signal.waiterCount == 1 }
        waiting.cancel()
        #expect(await waiting.value == false)
        #expect(signal.waiterCount == 0)
        // With a deadline too (the wait races a sleep), and cancelled before it starts.
        let timed = Task { await mark.wait(until: .now + .seconds(30)) }
        try await eventually { signal.waiterCount == 1 }
        timed.cancel()
        #expect(await timed.value == false)
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await mark.wait(until: nil)
        }
        #expect(await early.value == false)
        #expect(signal.waiterCount == 0)
    }

    /// Two sides hand a counter back and forth, each waiting for the other's step with the
    /// mark-then-check pattern, so signals race waits at every round.
    func pingPong(rounds: Int, _ counters: SignalTestCounters, ping: ChangeSignal, pong: ChangeSignal, deadline: Duration?) -> (
        answer: @Sendable () -> Void, send: @Sendable () -> Void
    ) {
        @Sendable func waitFor(_ signal: ChangeSignal, acknowledged: Bool, toReach target: Int) {
            while true {
                let mark = signal.mark()
                let value = acknowledged ? counters.acknowledged.load(ordering: .acquiring) : counters.sent.load(ordering: .acquiring)
                if value >= target { return }
                if !mark.wait(until: deadline.map { .now + $0 }) { counters.timeouts.add(1, ordering: .relaxed) }
            }
        }
        let answer: @Sendable () -> Void = {
            for round in 1...rounds {
                waitFor(ping, acknowledged: false, toReach: round)
                counters.acknowledged.store(round, ordering: .releasing)
                pong.signal()
            }
        }
        let send: @Sendable () -> Void = {
            for round in 1...rounds {
                counters.sent.store(round, ordering: .releasing)
                ping.signal()
                waitFor(pong, acknowledged: true, toReach: round)
            }
        }
        return (answer, send)
    }

    @Test("no wake-up is lost when signals race waits of threads (a lost one shows as a wait reaching its deadline)")
    func noLostWakeupsBetweenThreads() async {
        let rounds = 5_000
        let ping = ChangeSignal()
        let pong = ChangeSignal()
        let counters = SignalTestCounters()
        let (answer, send) = pingPong(rounds: rounds, counters, ping: ping, pong: pong, deadline: .seconds(5))
        // Both sides on threads of their own, so a busy cooperative pool cannot delay either.
        await onThread {
            let answered = DispatchGroup()
            answered.enter()
            Thread.detachNewThread {
                answer()
                answered.leave()
            }
            send()
            answered.wait()
        }
        #expect(counters.acknowledged.load(ordering: .relaxed) == rounds)
        #expect(counters.timeouts.load(ordering: .relaxed) == 0)
        #expect(ping.waiterCount == 0 && pong.waiterCount == 0)
    }

    @Test("no wake-up is lost when signals race a thread's and a task's waits (a lost one hangs the exchange)")
    func noLostWakeupsBetweenThreadAndTask() async {
        let rounds = 5_000
        let ping = ChangeSignal()
        let pong = ChangeSignal()
        let counters = SignalTestCounters()
        // The thread's waits have no deadline that matters; the task waits without one.
        let (answer, _) = pingPong(rounds: rounds, counters, ping: ping, pong: pong, deadline: .seconds(300))
        Thread.detachNewThread(answer)
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for round in 1...rounds {
                    counters.sent.store(round, ordering: .releasing)
                    ping.signal()
                    while counters.acknowledged.load(ordering: .acquiring) < round {
                        let mark = pong.mark()
                        if counters.acknowledged.load(ordering: .acquiring) >= round { break }
                        await mark.wait(until: nil)
                        if Task.isCancelled { return false }
                    }
                }
                return true
            }
            // A watchdog: a lost wake-up would leave the exchange waiting for ever.
            group.addTask {
                try? await Task.sleep(for: .seconds(120))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(finished)
        #expect(counters.acknowledged.load(ordering: .relaxed) == rounds)
        #expect(pong.waiterCount == 0)
    }

    @Test("one signal wakes many waiting threads and tasks at once")
    func manyWaiters() async throws {
        let signal = ChangeSignal()
        let mark = signal.mark()
        let counters = SignalTestCounters()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    if await onThread({ mark.wait(until: .now + .seconds(30)) }) { counters.woken.add(1, ordering: .relaxed) }
                }
                group.addTask {
                    if await mark.wait(until: .now + .seconds(30)) { counters.woken.add(1, ordering: .relaxed) }
                }
            }
            try await eventually { signal.waiterCount == 16 }
            signal.signal()
            try await group.waitForAll()
        }
        #expect(counters.woken.load(ordering: .relaxed) == 16)
        #expect(signal.waiterCount == 0)
    }

    @Test("a wait on several signals ends when any fires and leaves none registered", arguments: [false, true])
    func several(onThread thread: Bool) async throws {
        let first = ChangeSignal()
        let second = ChangeSignal()
        let marks = [first.mark(), second.mark()]
        let waiting = Task {
            thread
                ? await onThread { ChangeSignal.wait(for: marks, until: .now + .seconds(30)) }
                : await ChangeSignal.wait(for: marks, until: .now + .seconds(30))
        }
        try await eventually { first.waiterCount == 1 && second.waiterCount == 1 }
        second.signal()
        #expect(await waiting.value)
        #expect(first.waiterCount == 0 && second.waiterCount == 0)
        // A mark already passed is noticed before registering anywhere.
        let again = [first.mark(), marks[1]]
        #expect(await onThread { ChangeSignal.wait(for: again, until: nil) })
        #expect(first.waiterCount == 0)
    }
}
