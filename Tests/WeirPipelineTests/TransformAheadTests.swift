import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

/// `TransformGraph.runAhead`: a batch through the transforms that keep no state on a
/// member's prefetch thread, the rest later. The records, their order and the failures
/// must be exactly those of one evaluation, batch after batch, while a stateful transform
/// downstream counts them.
@Suite("transforms run ahead of a batch's turn")
struct TransformAheadTests {
    static let pipeline = """
        name: p
        topics: { a: { partitions: 1 }, b: { partitions: 1 } }
        sources:
          f: { type: file, paths: ["/nonexistent/in.log"], topic: a }
        transforms:
          kv: { type: parse_kv, inputs: [a] }
          odd: { type: filter, inputs: [kv], condition: '.k != "y"' }
          size: { type: route, inputs: [kv], routes: { big: 'to_int(.n) > 50', small: 'to_int(.n) <= 50' } }
          count:
            type: aggregate
            inputs: [odd, size.small]
            group_by: [k]
            window: { tumbling: 10s }
            aggregations: { n: { count: {} } }
          marked: { type: set, inputs: [count, size.big], fields: { seen: 'true' } }
          raw_count:
            type: aggregate
            inputs: [a, b]
            group_by: [message]
            window: { tumbling: 10s }
            aggregations: { n: { count: {} } }
        sinks:
          out: { type: blackhole, inputs: [marked, raw_count, odd] }
        """

    /// Lines of `k=<key> n=<number>`, some that `parse_kv` refuses, at a second apiece.
    static func batch(_ index: Int) -> [PipelineRecord] {
        (0..<40).map { i in
            let n = index * 40 + i
            let message = n % 13 == 0 ? "no pairs here" : "k=\(["x", "y", "z"][n % 3]) n=\(n % 97)"
            return PipelineRecord(timestamp: Int64(n) * 1000, fields: ["message": .string(message)])
        }
    }

    @Test("the same records in the same order and the same failures as one evaluation, batch after batch")
    func sameAsOneEvaluation() throws {
        let h = try RunnerHarness()
        let definition = try h.definition(Self.pipeline)
        let wanted = ["marked", "raw_count", "odd"]
        let whole = try TransformGraph(definition: definition, wanted: wanted, registry: .builtIn)
        let split = try TransformGraph(definition: definition, wanted: wanted, registry: .builtIn)
        #expect(split.aheadable == ["kv", "odd", "size"])
        let partition = TopicPartition(topic: "a", partition: 0)
        var written = 0
        for index in 0..<12 {
            let expected = whole.evaluate(injecting: Self.batch(index), at: "a", partition: partition)
            let ahead = split.runAhead(Self.batch(index), from: partition)
            // The batch is kept for `raw_count`, which reads the topic itself.
            #expect(ahead.batch.count == 40)
            #expect(ahead.ran == ["kv", "odd", "size"])
            let got = split.evaluate(ahead)
            #expect(got.records == expected.records, "batch \(index)")
            #expect(got.failures.map { [$0.transform, $0.reason] } == expected.failures.map { [$0.transform, $0.reason] })
            #expect(got.failures.map(\.record) == expected.failures.map(\.record))
            written += got.records.count
        }
        // The aggregates closed windows along the way: their counts went through both.
        #expect(written > 12 * 20)
        // The state too, as the aggregate restores it (its bytes hold the windows in the
        // order of a dictionary, which differs from one instance to the next).
        let flush = { (graph: TransformGraph) in graph.flushStateful().records.map(\.fields).sorted { "\($0)" < "\($1)" } }
        let expectedOpen = flush(whole)
        #expect(!expectedOpen.isEmpty)
        #expect(flush(split) == expectedOpen)
    }

    @Test("nothing runs ahead after a stateful transform or of a graph of stateful transforms only")
    func aheadableTransforms() throws {
        let h = try RunnerHarness()
        let definition = try h.definition(Self.pipeline)
        #expect(try TransformGraph(definition: definition, wanted: ["raw_count"], registry: .builtIn).aheadable.isEmpty)
        #expect(try TransformGraph(definition: definition, wanted: ["marked"], registry: .builtIn).aheadable == ["kv", "odd", "size"])
    }
}
