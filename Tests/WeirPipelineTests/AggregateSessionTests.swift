import Testing
import WeirLog
import WeirTestSupport
import WeirValues

@testable import WeirPipeline

/// `aggregate` with session windows: a group's records no more than `gap` apart make one
/// session, a late record bridging two merges them, and the output is what sessions cut
/// from the whole input sorted by time give, however it was batched or restarted.
@Suite("aggregate sessions")
struct AggregateSessionTests {
    static func yaml(gap: String = "30s", lateness: String = "0s") -> String {
        """
        type: aggregate
        group_by: [ip]
        timestamp_field: ts
        window: { session: { gap: \(gap) } }
        allowed_lateness: \(lateness)
        aggregations:
          n: { count: {} }
          bytes: { sum: bytes }
          low: { min: bytes }
          first_path: { first: path }
          last_path: { last: path }
          users: { count_distinct: path }
        """
    }

    static func aggregate(_ yaml: String) throws -> AggregateTransform {
        try #require(try makeTransform(yaml) as? AggregateTransform)
    }

    static func record(_ ip: String, _ ts: Int64, bytes: Int64? = nil, path: String? = nil) -> PipelineRecord {
        AggregateTransformTests.record(ip, ts, bytes: bytes, path: path)
    }

    static let partition = AggregateTransformTests.partition

    @Test("a session grows while its group's records come within the gap; it closes once the watermark passes its last time by the gap")
    func sessions() throws {
        let t = try Self.aggregate(Self.yaml())
        let first = t.process(
            [
                Self.record("a", 0, bytes: 5, path: "/x"), Self.record("b", 5_000, bytes: 1),
                Self.record("a", 10_000, bytes: 7), Self.record("a", 40_000, bytes: 2, path: "/y"),
                Self.record("b", 70_000, bytes: 1),
            ], from: Self.partition)
        // a: 0, 10 s, 40 s (each within 30 s of the last) is one session, open until the
        // watermark passes 70 s; b: 5 s closed at 70 s (35 s + 1 ms past it), 70 s open.
        #expect(
            first.records.map(\.object) == [
                .object([
                    "ip": .string("b"), "window_start": .string("1970-01-01T00:00:05.000Z"),
                    "window_end": .string("1970-01-01T00:00:05.000Z"), "n": .int(1), "bytes": .int(1), "low": .int(1), "users": .int(0),
                ])
            ])
        let second = t.process([Self.record("b", 70_001, bytes: 3)], from: Self.partition)
        #expect(
            second.records.map(\.object) == [
                .object([
                    "ip": .string("a"), "window_start": .string("1970-01-01T00:00:00.000Z"),
                    "window_end": .string("1970-01-01T00:00:40.000Z"), "n": .int(3), "bytes": .int(14), "low": .int(2),
                    "first_path": .string("/x"), "last_path": .string("/y"), "users": .int(2),
                ])
            ])
        #expect(second.records.map(\.timestamp) == [0], "a session's record is stamped with its start")
        let rest = t.flush().records
        #expect(rest.count == 1)
        #expect(rest.first?[field: "n"] == .int(2))
        #expect(rest.first?[field: "window_end"] == .string("1970-01-01T00:01:10.001Z"))
    }

    @Test("a late record within the gap of two open sessions merges them; one behind the watermark goes to the dead letters")
    func bridgeAndLate() throws {
        let t = try Self.aggregate(Self.yaml(gap: "10s", lateness: "1m"))
        let result = t.process(
            [
                Self.record("a", 0, bytes: 1, path: "/first"), Self.record("a", 20_000, bytes: 2, path: "/last"),
                Self.record("a", 10_000, bytes: 4, path: "/middle"),
                Self.record("a", 200_000, bytes: 8), Self.record("a", 139_999, bytes: 16),
            ], from: Self.partition)
        #expect(result.failures.map(\.reason).count == 1)
        #expect(result.failures.first?.reason.hasPrefix("aggregate: late by 1 ms: the watermark is at 1970-01-01T00:02:20.000Z") == true)
        #expect(
            result.records.map(\.object) == [
                .object([
                    "ip": .string("a"), "window_start": .string("1970-01-01T00:00:00.000Z"),
                    "window_end": .string("1970-01-01T00:00:20.000Z"), "n": .int(3), "bytes": .int(7), "low": .int(1),
                    "first_path": .string("/first"), "last_path": .string("/middle"), "users": .int(3),
                ])
            ], "merged: first is the earlier session's first, last the last to arrive")
    }

    /// Sessions cut from all of `records` at once: per group, sorted by time, split where
    /// two records are more than `gap` apart; (ip, start, end, count, sum) in output order.
    static func offline(_ records: [PipelineRecord], gap: Int64) -> [[Value]] {
        var byGroup: [String: [(Int64, Int64)]] = [:]
        for record in records {
            guard case .string(let ip)? = record[field: "ip"], case .int(let ts)? = record[field: "ts"],
                case .int(let bytes)? = record[field: "bytes"]
            else { continue }
            byGroup[ip, default: []].append((ts, bytes))
        }
        var sessions: [(Int64, String, Int64, Int64, Int64)] = []
        for (ip, points) in byGroup {
            let sorted = points.sorted { $0.0 < $1.0 }
            var start = sorted[0].0
            var end = start
            var count: Int64 = 0
            var sum: Int64 = 0
            for (ts, bytes) in sorted {
                if ts - end > gap {
                    sessions.append((start, ip, end, count, sum))
                    (start, count, sum) = (ts, 0, 0)
                }
                end = ts
                count += 1
                sum += bytes
            }
            sessions.append((start, ip, end, count, sum))
        }
        return sessions.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map {
            [.string($0.1), .string(AggregateTransform.text($0.0)), .string(AggregateTransform.text($0.2)), .int($0.3), .int($0.4)]
        }
    }

    @Test(
        "random streams out of order within the lateness, batched and restarted at random: the sessions cut offline from the whole input, each once",
        arguments: 0..<12)
    func snapshotsAnywhere(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var time: Int64 = 1_700_000_000_000
        var records: [PipelineRecord] = []
        for _ in 0..<2_000 {
            time += Int64(random.next() % 4_000)
            let jitter = Int64(random.next() % 9_000)
            records.append(
                Self.record("ip\(random.next() % 7)", time - jitter, bytes: Int64(random.next() % 1000), path: "/\(random.next() % 50)"))
        }
        let yaml = Self.yaml(gap: "15s", lateness: "10s")
        let whole = try Self.aggregate(yaml)
        let expected = whole.process(records, from: Self.partition)
        #expect(expected.failures.isEmpty)
        let expectedAll = expected.records + whole.flush().records

        var current = try Self.aggregate(yaml)
        var emitted: [PipelineRecord] = []
        var at = 0
        while at < records.count {
            let cut = min(records.count, at + 1 + Int(random.next() % 300))
            emitted += current.process(Array(records[at..<cut]), from: Self.partition).records
            at = cut
            if random.next() % 3 == 0 {
                let snapshot = current.snapshot(Self.partition)
                current = try Self.aggregate(yaml)
                try current.restore(Self.partition, from: snapshot)
            }
        }
        emitted += current.flush().records
        #expect(emitted.map(\.object) == expectedAll.map(\.object))

        func row(_ r: PipelineRecord) -> [Value] {
            ["ip", "window_start", "window_end", "n", "bytes"].map { r[field: $0] ?? .null }
        }
        let offline = Self.offline(records, gap: 15_000)
        #expect(offline.count > 20)
        #expect(
            emitted.map(row).sorted { "\($0)" < "\($1)" } == offline.sorted { "\($0)" < "\($1)" },
            "every session exactly as cut from the sorted input, none split, merged wrongly or twice")
    }

    @Test("a session state is refused by a transform with fixed windows, and the other way round, in one clear line")
    func stateKinds() throws {
        let sessions = try Self.aggregate(Self.yaml())
        _ = sessions.process([Self.record("a", 0, bytes: 1)], from: Self.partition)
        let snapshot = try #require(sessions.snapshot(Self.partition))
        let fixed = try AggregateTransformTests.aggregate()
        #expect(throws: (any Error).self) { try fixed.restore(Self.partition, from: snapshot) }
        do {
            try fixed.restore(Self.partition, from: snapshot)
        } catch {
            #expect("\(error)" == "aggregate state: written for session windows, the transform now has fixed ones")
        }
    }

    @Test("options: a session needs a gap longer than 0")
    func options() throws {
        for (window, message) in [
            ("{ session: { gap: 0s } }", "a session's gap must be longer than 0"), ("{ session: {} }", "gap"),
            ("{ session: { gap: soon } }", "window must be a duration"),
        ] {
            let text = """
                topics: { raw: {} }
                transforms:
                  t:
                    inputs: [raw]
                    type: aggregate
                    window: \(window)
                    aggregations: { n: { count: {} } }

                """
            let (_, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "t.yaml", defaultName: "t")
            #expect(diagnostics.count == 1 && "\(diagnostics)".contains("t.yaml:") && "\(diagnostics)".contains(message), "\(diagnostics)")
        }
    }
}
