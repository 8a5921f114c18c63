import Foundation
import Testing
import WeirLog
import WeirTestSupport
import WeirValues

@testable import WeirPipeline

/// `aggregate`: windows of event time per group, late records to the dead-letter topic,
/// and state that, snapshotted and restored anywhere, gives what an uninterrupted run gives.
@Suite("aggregate")
struct AggregateTransformTests {
    static let yaml = """
        type: aggregate
        group_by: [ip]
        timestamp_field: ts
        window: { tumbling: 1m }
        allowed_lateness: 10s
        aggregations:
          n: { count: {} }
          bytes: { sum: bytes }
          low: { min: bytes }
          high: { max: bytes }
          mean: { avg: bytes }
          first_path: { first: path }
          last_path: { last: path }
        """

    static func aggregate(_ yaml: String = yaml) throws -> AggregateTransform {
        try #require(try makeTransform(yaml) as? AggregateTransform)
    }

    static func record(_ ip: String, _ ts: Int64, bytes: Int64? = nil, path: String? = nil) -> PipelineRecord {
        var fields = Fields()
        fields["ip"] = .string(ip)
        fields["ts"] = .int(ts)
        if let bytes { fields["bytes"] = .int(bytes) }
        if let path { fields["path"] = .string(path) }
        return PipelineRecord(timestamp: 0, fields: fields)
    }

    static let partition = TopicPartition(topic: "raw", partition: 0)
    static let minute: Int64 = 60_000

    @Test("a window closes when the watermark (latest time less the lateness) passes its end; its fields in order")
    func tumbling() throws {
        let t = try Self.aggregate()
        let first = t.process(
            [
                Self.record("a", 1_000, bytes: 10, path: "/x"), Self.record("b", 2_000, bytes: 5),
                Self.record("a", 59_999, bytes: 7, path: "/y"),
                Self.record("a", Self.minute + 9_999, bytes: 1),
            ], from: Self.partition)
        #expect(first.records.isEmpty, "the watermark is at 59,999: nothing has closed")
        let second = t.process([Self.record("a", Self.minute + 10_000, bytes: 2)], from: Self.partition)
        #expect(
            second.records.map(\.object) == [
                .object([
                    "ip": .string("a"), "window_start": .string("1970-01-01T00:00:00.000Z"),
                    "window_end": .string("1970-01-01T00:01:00.000Z"),
                    "n": .int(2), "bytes": .int(17), "low": .int(7), "high": .int(10), "mean": .double(8.5), "first_path": .string("/x"),
                    "last_path": .string("/y"),
                ]),
                .object([
                    "ip": .string("b"), "window_start": .string("1970-01-01T00:00:00.000Z"),
                    "window_end": .string("1970-01-01T00:01:00.000Z"),
                    "n": .int(1), "bytes": .int(5), "low": .int(5), "high": .int(5), "mean": .double(5),
                ]),
            ])
        #expect(second.records.map(\.timestamp) == [0, 0], "a window's record is stamped with its start")
        let flushed = t.flush().records
        #expect(flushed.count == 1)
        #expect(flushed.first?[field: "n"] == .int(2))
    }

    @Test("a record behind a closed window goes to the dead-letter topic saying how late; one inside the lateness counts")
    func lateness() throws {
        let t = try Self.aggregate()
        let result = t.process(
            [
                Self.record("a", 70_000, bytes: 1), Self.record("a", 59_000, bytes: 1),  // 11 s behind: its window closed at 70,000
                Self.record("a", 65_000, bytes: 1),  // 5 s behind, window still open
            ], from: Self.partition)
        #expect(result.failures.count == 1)
        #expect(
            result.failures.first?.reason
                == "aggregate: late by 1 ms: its last window ended at 1970-01-01T00:01:00.000Z, the watermark is at 1970-01-01T00:01:00.000Z (allowed_lateness 10000 ms)"
        )
        #expect(t.flush().records.first?[field: "n"] == .int(2))
    }

    @Test("hopping windows: a record counts in size/advance windows")
    func hopping() throws {
        let t = try Self.aggregate(
            """
            type: aggregate
            timestamp_field: ts
            window: { hopping: { size: 3m, advance: 1m } }
            aggregations: { n: { count: {} } }
            """)
        _ = t.process([Self.record("a", 150_000)], from: Self.partition)  // 2.5 min: in [0, 3), [1, 4) and [2, 5)
        let windows = t.flush().records.map { ($0[field: "window_start"], $0[field: "n"]) }
        #expect(
            windows.map(\.0) == ["1970-01-01T00:00:00.000Z", "1970-01-01T00:01:00.000Z", "1970-01-01T00:02:00.000Z"].map { .string($0) })
        #expect(windows.allSatisfy { $0.1 == .int(1) })
    }

    @Test("values an aggregation cannot take fail the record whole; RFC 3339 times are read")
    func badValues() throws {
        let t = try Self.aggregate()
        var text = Self.record("a", 0, bytes: 1)
        text.fields["bytes"] = .string("lots")
        var stamped = Self.record("a", 0, bytes: 3)
        stamped.fields["ts"] = .string("1970-01-01T00:00:30+00:00")
        var bad = Self.record("a", 0)
        bad.fields["ts"] = .string("yesterday")
        let result = t.process([text, stamped, bad], from: Self.partition)
        #expect(
            result.failures.map(\.reason) == [
                "aggregate: bytes: field 'bytes': sum needs numbers, not string",
                "aggregate: timestamp_field 'ts' is not RFC 3339 or epoch milliseconds: 'yesterday'",
            ])
        let out = t.flush().records
        #expect(out.first?[field: "n"] == .int(1) && out.first?[field: "bytes"] == .int(3))
    }

    @Test(
        "random streams, out of order within the lateness, cut into random batches and snapshotted and restored at random points, emit what one uninterrupted pass emits",
        arguments: 0..<20)
    func snapshotsAnywhere(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var time: Int64 = 1_700_000_000_000
        var records: [PipelineRecord] = []
        for _ in 0..<2_000 {
            time += Int64(random.next() % 3_000)
            // Up to 9 s behind the latest: inside the 10 s lateness.
            let jitter = Int64(random.next() % 9_000)
            records.append(
                Self.record("ip\(random.next() % 7)", time - jitter, bytes: Int64(random.next() % 1000), path: "/\(random.next() % 50)"))
        }
        let all = Self.yaml + "\n  users: { count_distinct: path }\n  p50: { percentile: bytes, q: 0.5 }"
        let whole = try Self.aggregate(all)
        let expected = whole.process(records, from: Self.partition)
        #expect(expected.failures.isEmpty)
        #expect(!expected.records.isEmpty)

        var current = try Self.aggregate(all)
        var emitted: [Value] = []
        var at = 0
        while at < records.count {
            let cut = min(records.count, at + 1 + Int(random.next() % 300))
            emitted += current.process(Array(records[at..<cut]), from: Self.partition).records.map(\.object)
            at = cut
            if random.next() % 3 == 0 {
                // A restart: a new transform given the committed snapshot.
                let snapshot = current.snapshot(Self.partition)
                current = try Self.aggregate(all)
                try current.restore(Self.partition, from: snapshot)
            }
        }
        #expect(emitted == expected.records.map(\.object))
        #expect(current.flush().records.map(\.object) == whole.flush().records.map(\.object))
    }

    @Test("count_distinct (HyperLogLog) and percentile (DDSketch, 1% relative accuracy) per window")
    func sketches() throws {
        let t = try Self.aggregate(
            """
            type: aggregate
            group_by: [ip]
            timestamp_field: ts
            window: { tumbling: 1m }
            aggregations:
              paths: { count_distinct: path }
              p90: { q: 0.9, percentile: bytes }
            """)
        let records = (0..<1000).map { Self.record("a", Int64($0), bytes: Int64($0 + 1), path: "/\($0 % 250)") }
        _ = t.process(records, from: Self.partition)
        let out = try #require(t.flush().records.first)
        #expect(out[field: "paths"] == .int(250))
        let p90 = try #require(out[field: "p90"]?.number)
        #expect(abs(p90 - 900) <= 9, "p90 \(p90) within 1% of 900")
    }

    @Test("validate refuses a stateful transform fed round-robin over several partitions by a source; one partition or a keyed topic pass")
    func partitionedInput() throws {
        func diagnostics(_ partitions: Int, keyed: Bool) -> [String] {
            let text = """
                topics: { raw: { partitions: \(partitions) }, by_ip: { partitions: 4 } }
                sources:
                  f: { type: file, paths: [/tmp/x.log], topic: raw }
                transforms:
                  parsed: { type: parse_json, inputs: [raw] }
                  per_ip:
                    type: aggregate
                    inputs: [\(keyed ? "by_ip" : "parsed")]
                    group_by: [ip]
                    window: { tumbling: 1m }
                    aggregations: { n: { count: {} } }
                sinks:
                  keyed: { type: topic, inputs: [parsed], topic: by_ip, key: '.ip' }
                  out: { type: blackhole, inputs: [per_ip] }
                """
            return PipelineLoader(environment: [:]).load(text: text, file: "p.yaml", defaultName: "p").1.map { "\($0)" }
        }
        let spread = diagnostics(2, keyed: false)
        #expect(spread.count == 1)
        #expect(
            spread.first?.contains(
                "p.yaml:6:3: aggregate 'per_ip' keeps its state per partition, but topic 'raw' has 2 partitions that source 'f' fills in turn"
            )
                == true, "\(spread)")
        #expect(diagnostics(1, keyed: false).isEmpty)
        #expect(diagnostics(2, keyed: true).isEmpty)
    }

    @Test("options: bad window, duration, aggregation and field clashes are refused naming the option")
    func options() throws {
        let cases: [(String, String)] = [
            ("window: { tumbling: 1 minute }\naggregations: { n: { count: {} } }", "window must be a duration"),
            ("window: { hopping: { size: 5m, advance: 2m } }\naggregations: { n: { count: {} } }", "size a multiple of advance"),
            ("window: { tumbling: 1m }\naggregations: { n: { median: x } }", "'n' must be one of count, sum"),
            ("window: { tumbling: 1m }\naggregations: { n: { sum: {} } }", "sum needs a field name"),
            ("window: { tumbling: 1m }\naggregations: { n: { percentile: x } }", "percentile needs q between 0 and 1"),
            ("window: { tumbling: 1m }\naggregations: { n: { percentile: x, q: 2 } }", "percentile needs q between 0 and 1"),
            ("window: { tumbling: 1m }\ngroup_by: [ip]\naggregations: { ip: { count: {} } }", "'ip' is also a group_by field"),
            ("window: { tumbling: 1m }\nallowed_lateness: soon\naggregations: { n: { count: {} } }", "allowed_lateness must be a duration"),
        ]
        for (options, message) in cases {
            let text =
                "topics: { raw: {} }\ntransforms:\n  t:\n    inputs: [raw]\n"
                + ("type: aggregate\n" + options).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
            let (_, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "t.yaml", defaultName: "t")
            #expect(diagnostics.count == 1 && "\(diagnostics)".contains("t.yaml:") && "\(diagnostics)".contains(message), "\(diagnostics)")
        }
    }
}
