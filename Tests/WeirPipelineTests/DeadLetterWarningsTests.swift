import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing
import WeirLog

@testable import WeirPipeline

/// Dead-letter warnings: one line per component and reason at once, then at most one
/// every 10 s with the count since the last, and the rest at the end of the run.
@Suite("dead-letter warnings")
struct DeadLetterWarningsTests {
    /// A clock the test moves.
    final class TestClock: Sendable {
        private let seconds = Mutex<Double>(1_000)
        var now: Double { seconds.withLock { $0 } }
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
    }

    /// The records a warning line counts (its leading number).
    static func records(_ entry: InMemoryLogHandler.Entry) -> Int {
        Int("\(entry.message)".prefix { $0.isNumber }) ?? -1
    }

    static func make() -> (DeadLetterWarnings, InMemoryLogHandler, TestClock) {
        let handler = InMemoryLogHandler()
        let clock = TestClock()
        let warnings = DeadLetterWarnings(logger: Logger(label: "test") { _ in handler }, interval: 10, now: { clock.now })
        return (warnings, handler, clock)
    }

    @Test("the first is logged at once; at one record a second, one line per 10 s says how many; the end logs the rest")
    func rateLimited() {
        let (warnings, handler, clock) = Self.make()
        warnings.count(component: "parsed", reason: "not JSON")
        warnings.logDue()
        #expect(handler.entries.map { "\($0.message)" } == ["1 record sent to the dead-letter topic"])
        #expect(handler.entries.first?.level == .warning)
        #expect(handler.entries.first?.metadata == ["component": "parsed", "reason": "not JSON"])

        // One a second for 9 s: nothing more is logged.
        for _ in 1...9 {
            clock.advance(1)
            warnings.count(component: "parsed", reason: "not JSON")
            warnings.logDue()
        }
        #expect(handler.entries.count == 1)
        // At 10 s, one line with the ten since the first.
        clock.advance(1)
        warnings.count(component: "parsed", reason: "not JSON")
        warnings.logDue()
        #expect(handler.entries.map { "\($0.message)" }.last == "10 records more sent to the dead-letter topic in the last 10 s")

        // Another reason of the same component has a line of its own, at once.
        warnings.count(component: "parsed", reason: "too deep")
        warnings.logDue()
        #expect(handler.entries.count == 3)
        #expect(handler.entries.last?.metadata["reason"] == "too deep")

        // Three more within the interval wait for the end of the run.
        clock.advance(2)
        for _ in 0..<3 { warnings.count(component: "parsed", reason: "not JSON") }
        warnings.logDue()
        #expect(handler.entries.count == 3)
        warnings.logRemaining()
        #expect(handler.entries.map { "\($0.message)" }.last == "3 records more sent to the dead-letter topic in the last 2 s")
        let notJSON = handler.entries.filter { $0.metadata["reason"] == "not JSON" }
        #expect(notJSON.map(Self.records).reduce(0, +) == 14)
        // Nothing is left: the end logs nothing twice.
        warnings.logRemaining()
        #expect(handler.entries.count == 4)
    }

    @Test("a reason quiet for longer than the interval is logged at once when it comes back")
    func quietThenBack() {
        let (warnings, handler, clock) = Self.make()
        for _ in 0..<3 {
            warnings.count(component: "out", reason: "HTTP 400")
            warnings.logDue()
            clock.advance(30)
            warnings.logDue()
        }
        #expect(handler.entries.map { "\($0.message)" } == Array(repeating: "1 record sent to the dead-letter topic", count: 3))
    }

    @Test("past 20 reasons a component's further reasons share one line")
    func manyReasons() {
        let (warnings, handler, _) = Self.make()
        for i in 0..<50 { warnings.count(component: "plugin", reason: "record \(i) refused") }
        warnings.logDue()
        #expect(handler.entries.count == 21)
        let other = handler.entries.filter { $0.metadata["reason"] == "(other reasons)" }
        #expect(other.map(Self.records) == [30])
    }

    @Test("a run whose every record fails logs its dead letters in at most a few lines, and their counts add up to every record")
    func throughARun() throws {
        let harness = try RunnerHarness()
        let handler = InMemoryLogHandler()
        let yaml = """
            name: dl
            topics: { raw: {} }
            sources:
              g: { type: generate, topic: raw, count: 20000, lines: ["not json"] }
            transforms:
              parsed: { type: parse_json, inputs: [raw] }
            sinks:
              out: { type: blackhole, inputs: [parsed] }
            """
        let runner = try PipelineRunner(
            definition: try harness.definition(yaml), log: harness.log,
            logger: Logger(label: "test") { _ in handler })
        let started = Date()
        let summary = try runner.run(once: true, stop: StopFlag())
        let took = Date().timeIntervalSince(started)
        #expect(summary.failed["out"] == 20000)
        let lines = handler.entries.filter { "\($0.message)".contains("dead-letter topic") }
        #expect(lines.allSatisfy { $0.metadata["component"] == "parsed" })
        #expect(lines.map(Self.records).reduce(0, +) == 20000)
        // The first at once, then one per 10 s, then the rest at the end.
        #expect(lines.count >= 1 && lines.count <= 2 + Int(took / 10), "\(lines.map { "\($0.message)" })")
    }
}
