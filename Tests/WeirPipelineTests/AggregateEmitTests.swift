import Testing
import WeirLog
import WeirTestSupport
import WeirValues

@testable import WeirPipeline

/// `aggregate` with `emit: { every: D }`: updates of the open windows as event time moves
/// into each new period of D, `final: false`; each window's last record `final: true`.
@Suite("aggregate emit every")
struct AggregateEmitTests {
    static let yaml = """
        type: aggregate
        group_by: [ip]
        timestamp_field: ts
        window: { tumbling: 1m }
        emit: { every: 10s }
        aggregations:
          n: { count: {} }
          bytes: { sum: bytes }
        """

    static func record(_ ip: String, _ ts: Int64, bytes: Int64 = 1) -> PipelineRecord {
        AggregateTransformTests.record(ip, ts, bytes: bytes)
    }

    static func row(_ record: PipelineRecord) -> String {
        ["ip", "window_start", "n", "final"].map { (record[field: $0] ?? .null).jsonText() }.joined(separator: " ")
    }

    @Test("an update of every open window each time event time enters a new period; the closing record is final")
    func updates() throws {
        let t = try #require(try makeTransform(Self.yaml) as? AggregateTransform)
        let out = t.process(
            [
                Self.record("a", 1_000), Self.record("a", 5_000), Self.record("a", 12_000), Self.record("b", 15_000),
                Self.record("b", 19_999), Self.record("a", 61_000),
            ], from: AggregateTransformTests.partition
        ).records
        let start = "\"1970-01-01T00:00:00.000Z\""
        let next = "\"1970-01-01T00:01:00.000Z\""
        #expect(
            out.map(Self.row) == [
                "\"a\" \(start) 3 false",  // 12 s: a new period; a's window so far
                "\"a\" \(start) 3 true", "\"b\" \(start) 2 true",  // 61 s: the first minute closes
                "\"a\" \(next) 1 false",  // and the next minute's update
            ])
        #expect(t.flush().records.map(Self.row) == ["\"a\" \(next) 1 true"])
    }

    @Test("random streams with updates, batched and restarted anywhere, write what one pass writes", arguments: 0..<8)
    func snapshotsAnywhere(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var time: Int64 = 1_700_000_000_000
        var records: [PipelineRecord] = []
        for _ in 0..<1_500 {
            time += Int64(random.next() % 2_000)
            records.append(Self.record("ip\(random.next() % 5)", time - Int64(random.next() % 5_000), bytes: Int64(random.next() % 100)))
        }
        let yaml = Self.yaml + "\nallowed_lateness: 10s"
        let whole = try #require(try makeTransform(yaml) as? AggregateTransform)
        let written = whole.process(records, from: AggregateTransformTests.partition).records
        #expect(written.contains { $0[field: "final"] == .bool(false) } && written.contains { $0[field: "final"] == .bool(true) })
        let expected = written.map(\.object)
        var current = try #require(try makeTransform(yaml) as? AggregateTransform)
        var emitted: [Value] = []
        var at = 0
        while at < records.count {
            let cut = min(records.count, at + 1 + Int(random.next() % 200))
            emitted += current.process(Array(records[at..<cut]), from: AggregateTransformTests.partition).records.map(\.object)
            at = cut
            if random.next() % 3 == 0 {
                let snapshot = current.snapshot(AggregateTransformTests.partition)
                current = try #require(try makeTransform(yaml) as? AggregateTransform)
                try current.restore(AggregateTransformTests.partition, from: snapshot)
            }
        }
        #expect(emitted == expected)
    }

    @Test("options: every must be a duration over 0; 'final' is taken")
    func options() throws {
        for (options, message) in [
            ("emit: { every: 0s }", "every must be longer than 0"), ("emit: { every: often }", "emit must be a duration"),
            ("emit: { every: 5s }\ngroup_by: [final]", "'final' is the field emit: every writes"),
        ] {
            let text =
                "topics: { raw: {} }\ntransforms:\n  t:\n    inputs: [raw]\n    type: aggregate\n    window: { tumbling: 1m }\n"
                + "    aggregations: { n: { count: {} } }\n" + options.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
                + "\n"
            let (_, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "t.yaml", defaultName: "t")
            #expect(diagnostics.count == 1 && "\(diagnostics)".contains(message), "\(diagnostics)")
        }
    }
}
