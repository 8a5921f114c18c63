import Foundation
import Testing
import WeirPipeline

@testable import WeirLog

@Suite("Stop flag")
struct StopFlagTests {
    /// Runs `body` on a thread of its own (never the cooperative pool) and returns its result.
    func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    @Test("setting the flag wakes a thread waiting on its mark with other signals")
    func setWakesAWaiter() async throws {
        let flag = StopFlag()
        let other = ChangeSignal()
        let marks = [flag.mark(), other.mark()]
        async let woken = onThread { ChangeSignal.wait(for: marks, until: .now + .seconds(30)) }
        for _ in 0..<10_000 where flag.signal.waiterCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(flag.signal.waiterCount == 1)
        flag.set()
        // True means the flag's signal woke it: at its deadline it would have returned false.
        #expect(await woken)
        #expect(flag.isSet)
    }

    @Test("a pause ends at once on a flag already set, and at its deadline otherwise")
    func pause() async {
        let flag = StopFlag()
        let started = ContinuousClock.now
        #expect(await onThread { flag.wait(until: .now + .milliseconds(50)) } == false)
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        flag.set()
        let set = ContinuousClock.now
        #expect(await onThread { flag.wait(until: .now + .seconds(30)) })
        #expect(ContinuousClock.now - set < .seconds(10))
        // Setting it again fires nothing more.
        let mark = flag.mark()
        flag.set()
        #expect(!mark.hasChanged)
    }
}
