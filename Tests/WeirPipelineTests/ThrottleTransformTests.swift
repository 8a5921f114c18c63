import Foundation
import Testing
import WeirLog
import WeirTestSupport
import WeirValues

@testable import WeirPipeline

/// `throttle`: the first N records per key and window of event time pass; the state of
/// the counts, snapshotted and restored anywhere, passes the same records.
@Suite("throttle")
struct ThrottleTransformTests {
    static let partition = TopicPartition(topic: "raw", partition: 0)

    static func throttle(_ extra: String = "") throws -> ThrottleTransform {
        try #require(
            try makeTransform("type: throttle\nkey: [ip]\nthreshold: 2\nwindow: 1s\ntimestamp_field: ts\n" + extra) as? ThrottleTransform)
    }

    static func record(_ ip: String, _ ts: Int64, _ n: Int) -> PipelineRecord {
        var fields = Fields()
        fields["ip"] = .string(ip)
        fields["ts"] = .int(ts)
        fields["n"] = .int(Int64(n))
        return PipelineRecord(timestamp: 0, fields: fields)
    }

    @Test("two per ip per second pass; the rest are dropped, or dead-lettered with the reason")
    func threshold() throws {
        let batch = [
            Self.record("a", 0, 1), Self.record("a", 10, 2), Self.record("b", 20, 3), Self.record("a", 999, 4), Self.record("a", 1000, 5),
            Self.record("a", 1500, 6), Self.record("a", 1600, 7),
        ]
        let dropped = try Self.throttle().process(batch, from: Self.partition)
        #expect(dropped.records.map { $0[field: "n"] } == [1, 2, 3, 5, 6].map { .int($0) })
        #expect(dropped.failures.isEmpty)
        let lettered = try Self.throttle("on_excess: dead_letter").process(batch, from: Self.partition)
        #expect(lettered.failures.map { $0.record[field: "n"] } == [4, 7].map { .int($0) })
        #expect(
            lettered.failures.first?.reason
                == #"throttle: over 2 records per 1000 ms for ["a"] in the window from 1970-01-01T00:00:00.000Z"#)
    }

    @Test("random streams cut into random batches, snapshotted and restored at random points, pass what one pass passes", arguments: 0..<10)
    func snapshotsAnywhere(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var time: Int64 = 0
        let records = (0..<3000).map { i -> PipelineRecord in
            time += Int64(random.next() % 200)
            return Self.record("ip\(random.next() % 5)", time - Int64(random.next() % 300), i)
        }
        let expected = try Self.throttle("max_keys: 3").process(records, from: Self.partition).records.map(\.object)
        var current = try Self.throttle("max_keys: 3")
        var passed: [Value] = []
        var at = 0
        while at < records.count {
            let cut = min(records.count, at + 1 + Int(random.next() % 200))
            passed += current.process(Array(records[at..<cut]), from: Self.partition).records.map(\.object)
            at = cut
            if random.next() % 2 == 0 {
                let snapshot = current.snapshot(Self.partition)
                current = try Self.throttle("max_keys: 3")
                try current.restore(Self.partition, from: snapshot)
            }
        }
        #expect(passed == expected)
        #expect(passed.count < records.count && passed.count > 0)
    }
}
