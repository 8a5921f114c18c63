import Dispatch
import Foundation
import Synchronization
import Testing
import WeirValues

@testable import WeirPipeline

/// `BatchSplitter`: a large batch of a transform that handles each record on its own is
/// processed in two halves at once, and the output is exactly that of one call.
@Suite("batch splitter")
struct BatchSplitterTests {
    /// Counts the batch sizes it is called with; passes records through, failing every
    /// seventh by its `n`.
    final class Recording: RecordTransform {
        let independent: Bool
        let sizes = Mutex<[Int]>([])

        init(independent: Bool) { self.independent = independent }

        var processesRecordsIndependently: Bool { independent }

        func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
            let records = batch
            sizes.withLock { $0.append(records.count) }
            var result = TransformResult()
            for record in records {
                if case .int(let n)? = record[field: "n"], n % 7 == 0 { result.fail(record, "n=\(n)") } else { result.emit(record) }
            }
            return result
        }
    }

    static func batch(_ count: Int) -> [PipelineRecord] {
        (0..<count).map { PipelineRecord(timestamp: Int64($0), fields: ["n": .int(Int64($0))]) }
    }

    @Test("three loghub files through parse_regex: split or not, the same records and failures in the same order")
    func sameOutput() throws {
        let parse = try makeTransform(
            "type: parse_regex\npattern: '^(?<month>\\w{3})\\s+(?<day>\\d+) (?<time>\\S+) (?<host>\\S+) (?<program>[^\\[:]+)\\[(?<pid>\\d+)\\]'"
        )
        #expect(parse.processesRecordsIndependently)
        let lines = try loghubLines("OpenSSH_2k.log") + loghubLines("Linux_2k.log") + loghubLines("Apache_2k.log")
        let records = lines.map { PipelineRecord(message: $0, timestamp: 1) }
        let whole = parse.process(records)
        let split = BatchSplitter().process(records, with: parse)
        #expect(!whole.records.isEmpty && !whole.failures.isEmpty)
        #expect(split == whole)
    }

    @Test("a transform that does not say it handles records on its own, or a small batch, gets the batch whole")
    func whole() {
        let splitter = BatchSplitter()
        let dependent = Recording(independent: false)
        _ = splitter.process(Self.batch(5_000), with: dependent)
        #expect(dependent.sizes.withLock { $0 } == [5_000])
        let independent = Recording(independent: true)
        _ = splitter.process(Self.batch(BatchSplitter.minimumRecords - 1), with: independent)
        let out = splitter.process(Self.batch(5_001), with: independent)
        #expect(independent.sizes.withLock { $0.sorted() } == [1_023, 2_500, 2_501])
        #expect(out.records.map(\.timestamp) == (0..<5_001).filter { $0 % 7 != 0 }.map(Int64.init))
        #expect(out.failures.map(\.reason) == (0..<5_001).filter { $0 % 7 == 0 }.map { "n=\($0)" })
        splitter.stop()
        // Stopped: batches run whole, inline.
        _ = splitter.process(Self.batch(4_000), with: independent)
        #expect(independent.sizes.withLock { $0.last } == 4_000)
    }

    @Test("members calling at once (threads of their own): one splits, the others run whole; each gets its own output in order")
    func concurrentCallers() {
        let splitter = BatchSplitter()
        let transform = Recording(independent: true)
        let wrong = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
        for member in 0..<4 {
            Thread.detachNewThread {
                for round in 0..<20 {
                    let count = 2_000 + member * 100 + round
                    let out = splitter.process(Self.batch(count), with: transform)
                    if out.records.map(\.timestamp) != (0..<count).filter({ $0 % 7 != 0 }).map(Int64.init) {
                        wrong.add(1, ordering: .relaxed)
                    }
                }
                done.signal()
            }
        }
        for _ in 0..<4 { done.wait() }
        #expect(wrong.load(ordering: .relaxed) == 0)
        #expect(transform.sizes.withLock { $0.count } > 80, "some batches were split")
        splitter.stop()
    }
}
