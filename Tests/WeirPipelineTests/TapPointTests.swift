import Testing
import WeirValues

@testable import WeirPipeline

@Suite("tap point: sampling and ending")
struct TapPointTests {
    static func records(_ count: Int) -> [PipelineRecord] {
        (0..<count).map { PipelineRecord(message: "r\($0)", timestamp: Int64($0)) }
    }

    @Test("nobody listens: nothing is kept; a listener gets at most 100 records of a batch, spread evenly")
    func sampling() async {
        let tap = TapPoint()
        #expect(!tap.isListening)
        tap.offer(Self.records(10))
        let stream = tap.listen()
        #expect(tap.isListening)
        tap.offer(Self.records(40))
        tap.offer(Self.records(1_000))
        tap.finish()
        var batches: [[PipelineRecord]] = []
        for await batch in stream { batches.append(batch) }
        #expect(batches.map(\.count) == [40, 100])
        #expect(batches[1].map(\.timestamp) == (0..<100).map { Int64($0 * 10) })
        #expect(!tap.isListening)
    }

    @Test("a listener that falls behind misses batches instead of holding the pipeline")
    func slowListener() async {
        let tap = TapPoint()
        let stream = tap.listen()
        for _ in 0..<(TapPoint.bufferedBatches + 10) { tap.offer(Self.records(1)) }
        tap.finish()
        var received = 0
        for await _ in stream { received += 1 }
        #expect(received == TapPoint.bufferedBatches)
    }

    @Test("listening after the component finished ends at once; a listener that stops is forgotten")
    func ending() async {
        let tap = TapPoint()
        var stream: AsyncStream<[PipelineRecord]>? = tap.listen()
        #expect(tap.isListening)
        stream = nil
        #expect(stream == nil)
        #expect(!tap.isListening)
        tap.finish()
        var late = 0
        for await _ in tap.listen() { late += 1 }
        #expect(late == 0)
        #expect(!tap.isListening)
    }
}
