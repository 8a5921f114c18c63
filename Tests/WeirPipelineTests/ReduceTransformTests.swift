import Foundation
import Testing
import WeirLog
import WeirTestSupport
import WeirValues

@testable import WeirPipeline

/// `reduce`: consecutive records of a key merged into one until a condition, a count or a
/// timeout of event time; the open groups, snapshotted and restored anywhere, give the
/// same output.
@Suite("reduce")
struct ReduceTransformTests {
    static let partition = TopicPartition(topic: "raw", partition: 0)

    static func reduce(_ yaml: String) throws -> ReduceTransform {
        try #require(try makeTransform("type: reduce\n" + yaml) as? ReduceTransform)
    }

    /// A record as a line source makes it (message as bytes), with more fields.
    static func record(_ message: String, timestamp: Int64 = 0, _ fields: [(String, Value)] = []) -> PipelineRecord {
        var record = PipelineRecord(message: Array(message.utf8)[...], timestamp: timestamp)
        for (name, value) in fields { record.fields[name] = value }
        return record
    }

    static func text(_ text: String) -> Value { .string(text) }

    /// An output record as an object: `reduce_count` last.
    static func merged(_ pairs: KeyValuePairs<String, Value>, count: Int64) -> Value {
        var fields = Fields(pairs.map { ($0.key, $0.value) })
        fields["reduce_count"] = .int(count)
        return .object(fields)
    }

    /// What `process` then `flush` write: the default output's records as objects.
    static func run(_ transform: ReduceTransform, _ records: [PipelineRecord]) -> [Value] {
        (transform.process(records, from: partition).records + transform.flush().records).map(\.object)
    }

    @Test("a Java stack trace: lines starting with whitespace or 'Caused by:' join the line before them")
    func stackTrace() throws {
        let lines = [
            "2026-12-04 10:00:00 INFO started",
            "2026-12-04 10:00:01 ERROR request failed",
            "java.lang.IllegalStateException: boom",
            "\tat com.example.Foo.bar(Foo.java:10)",
            "\tat com.example.Main.main(Main.java:5)",
            "Caused by: java.io.IOException: closed",
            "\t... 2 more",
            "2026-12-04 10:00:02 INFO next",
        ]
        // A line not starting with whitespace starts a record; so does the exception line.
        let transform = try Self.reduce(#"starts_when: '!(.message matches "^(\s|Caused by:)")'"#)
        let out = transform.process(lines.enumerated().map { Self.record($1, timestamp: Int64($0)) }, from: Self.partition)
        #expect(out.failures.isEmpty)
        #expect(
            out.records.map(\.object) == [
                Self.merged(["message": .string(lines[0])], count: 1), Self.merged(["message": .string(lines[1])], count: 1),
                Self.merged(["message": .string(lines[2...6].joined(separator: "\n"))], count: 5),
            ])
        #expect(out.records.map(\.timestamp) == [0, 1, 2])
        // The merged message stays bytes: sinks write it without a String being made.
        #expect(out.records.last?.fields.asciiText("message") != nil)
        // The last line's group is open until the input ends.
        #expect(transform.flush().records.map(\.object) == [Self.merged(["message": .string(lines[7])], count: 1)])
        #expect(transform.flush().records.isEmpty)
    }

    @Test("a request's start and end lines, interleaved with another's, become one record each at the end line")
    func requestStartEnd() throws {
        let transform = try Self.reduce(
            "group_by: [request]\nends_when: '.phase == \"end\"'\nmerge: { ts: first, bytes: sum, phase: array, message: concat }")
        func line(_ message: String, _ request: String, _ phase: String, _ ts: Int64, _ extra: (String, Value)) -> PipelineRecord {
            Self.record(message, [("request", .string(request)), ("phase", .string(phase)), ("ts", .int(ts)), extra])
        }
        let records = [
            line("GET /a", "r1", "start", 10, ("path", .string("/a"))), line("GET /b", "r2", "start", 11, ("path", .string("/b"))),
            line("chunk", "r1", "data", 12, ("bytes", .int(100))), line("chunk", "r1", "data", 13, ("bytes", .int(50))),
            line("200", "r1", "end", 14, ("status", .int(200))), line("404", "r2", "end", 15, ("status", .int(404))),
        ]
        let out = transform.process(records, from: Self.partition).records
        let phases = { (names: [String]) in Value.array(names.map(Value.string)) }
        #expect(
            out.map(\.object) == [
                Self.merged(
                    [
                        "message": .string("GET /a chunk chunk 200"), "request": .string("r1"),
                        "phase": phases(["start", "data", "data", "end"]),
                        "ts": .int(10), "path": .string("/a"), "bytes": .int(150), "status": .int(200),
                    ], count: 4),
                Self.merged(
                    [
                        "message": .string("GET /b 404"), "request": .string("r2"), "phase": phases(["start", "end"]), "ts": .int(11),
                        "path": .string("/b"), "status": .int(404),
                    ], count: 2),
            ])
        #expect(out.first?.fields.keys == ["message", "request", "phase", "ts", "path", "bytes", "status", "reduce_count"])
        #expect(transform.flush().records.isEmpty)
    }

    @Test("min, max, last, nulls, and a value a strategy cannot take fails its record alone")
    func strategies() throws {
        let transform = try Self.reduce("max_records: 3\nmerge: { n: min, m: max, s: sum, message: concat_raw }")
        let records = [
            Self.record("a", [("n", .int(5)), ("m", .string("b")), ("s", .null), ("x", .int(1))]),
            Self.record("b", [("n", .double(2.5)), ("m", .string("c")), ("s", .int(2)), ("x", .null)]),
            Self.record("c", [("s", .string("many"))]),
            Self.record("d", [("n", .int(7)), ("m", .int(3))]),
            Self.record("e", [("n", .int(9)), ("m", .string("a")), ("s", .double(1.5))]),
        ]
        let out = transform.process(records, from: Self.partition)
        #expect(
            out.records.map(\.object) == [
                Self.merged(["message": .string("abe"), "n": .double(2.5), "m": .string("c"), "s": .double(3.5), "x": .null], count: 3)
            ])
        #expect(
            out.failures.map(\.reason) == [
                "reduce: sum of 's' needs numbers, not string", "reduce: max of 'm' cannot compare integer with string",
            ])
    }

    @Test("max_records closes a group at its Nth record; flush writes the rest")
    func maxRecords() throws {
        let transform = try Self.reduce("group_by: [k]\nmax_records: 2")
        let records = (0..<5).map { Self.record("l\($0)", [("k", .string($0 == 2 ? "b" : "a"))]) }
        #expect(
            Self.run(transform, records) == [
                Self.merged(["message": .string("l0\nl1"), "k": .string("a")], count: 2),
                Self.merged(["message": .string("l3\nl4"), "k": .string("a")], count: 2),
                Self.merged(["message": .string("l2"), "k": .string("b")], count: 1),
            ])
    }

    @Test("timeout is event time: a later record more than the timeout past a group's last closes it, first records first")
    func timeout() throws {
        let transform = try Self.reduce("group_by: [k]\ntimeout: 1s\ntimestamp_field: ts")
        func at(_ message: String, _ key: String, _ ts: Value) -> PipelineRecord {
            Self.record(message, [("k", .string(key)), ("ts", ts)])
        }
        // Exactly the timeout after b's last record, c0 leaves b open.
        let first = transform.process(
            [at("a0", "a", .int(0)), at("b0", "b", .int(100)), at("a1", "a", .int(500)), at("c0", "c", .int(1100))], from: Self.partition)
        #expect(first.records.isEmpty)
        // 1001 ms after a's last and 1401 after b's: both close, a (first record earlier) first.
        let second = transform.process([at("c1", "c", .string("1970-01-01T00:00:01.501Z"))], from: Self.partition)
        #expect(second.records.map { $0[field: "message"] } == [Self.text("a0\na1"), Self.text("b0")])
        #expect(second.records.map { $0[field: "ts"] } == [.int(500), .int(100)])
        let bad = transform.process([at("d", "d", .string("yesterday"))], from: Self.partition)
        #expect(bad.failures.map(\.reason) == ["reduce: timestamp_field 'ts' is not RFC 3339 or epoch milliseconds"])
        // A record late in event time does not move it back: c is still open.
        #expect(transform.process([at("c2", "c", .int(0))], from: Self.partition).records.isEmpty)
        #expect(transform.flush().records.map { $0[field: "message"] } == [Self.text("c0\nc1\nc2")])
    }

    @Test("max_groups: the group whose last record is the oldest closes to make room")
    func maxGroups() throws {
        let transform = try Self.reduce("group_by: [k]\nmax_records: 100\nmax_groups: 2")
        let records = ["a", "b", "a", "c", "b"].enumerated().map { Self.record("\($1)\($0)", [("k", .string($1))]) }
        #expect(
            Self.run(transform, records).compactMap { $0[path: ["message"]] } == ["b1", "a0\na2", "c3", "b4"].map { Value.string($0) })
    }

    @Test("OpenSSH sessions by pid: each session's lines in order, every line once")
    func sshSessions() throws {
        let lines = try loghubLines("OpenSSH_2k.log")
        let transform = try Self.reduce(
            "group_by: [pid]\nends_when: '.message contains \"Received disconnect\" || .message contains \"Connection closed\"'\nmax_groups: 50"
        )
        let pid = try Regex(#"sshd\[(\d+)\]"#)
        let records = lines.map { line -> PipelineRecord in
            var record = PipelineRecord(message: line, timestamp: 0)
            let text = String(decoding: line, as: UTF8.self)
            if let match = text.firstMatch(of: pid) { record.fields["pid"] = .string(String(text[match.range])) }
            return record
        }
        let out = Self.run(transform, records)
        var expected: [String: [String]] = [:]
        for record in records {
            expected[record[field: "pid"]?.jsonText() ?? "", default: []].append(record[field: "message"]?.jsonText() ?? "")
        }
        var seen: [String: [String]] = [:]
        var total = 0
        for case .object(let fields) in out {
            guard case .string(let message)? = fields["message"], case .int(let count)? = fields["reduce_count"] else { continue }
            let parts = message.split(separator: "\n", omittingEmptySubsequences: false).map { Value.string(String($0)).jsonText() }
            #expect(parts.count == Int(count))
            seen[fields["pid"]?.jsonText() ?? "", default: []] += parts
            total += Int(count)
        }
        #expect(total == lines.count)
        #expect(seen == expected)
        #expect(out.count > 100 && out.count < lines.count)
    }

    @Test("options: missing closing option, bad timeout, strategy, expression and timestamp_field are refused where written")
    func options() {
        let cases: [(String, String, Int, Int)] = [
            ("group_by: [k]", "type 'reduce' needs at least one of starts_when, ends_when, max_records or timeout", 4, 5),
            ("timeout: soon", "timeout must be a duration longer than 0", 6, 14),
            ("timeout: 0s", "timeout must be a duration longer than 0", 6, 14),
            ("max_records: 2\nmerge:\n  message: concat\n  n: average", "merge.n 'average' is not a strategy", 9, 10),
            ("max_records: 2\ntimestamp_field: ts", "timestamp_field is only read for timeout", 7, 22),
            // The column of the expression's end, inside the quotes.
            ("ends_when: '.phase =='", "expected a value", 6, 26),
            ("max_records: 0", "max_records", 6, 18),
        ]
        for (options, message, line, column) in cases {
            let text =
                "topics: { raw: {} }\ntransforms:\n  t:\n    inputs: [raw]\n"
                + ("type: reduce\n" + options).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
            let (_, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "t.yaml", defaultName: "t")
            #expect(diagnostics.count == 1 && "\(diagnostics)".contains(message), "\(options): \(diagnostics)")
            #expect(diagnostics.first.map { ($0.line, $0.column) } ?? (0, 0) == (line, column), "\(options): \(diagnostics)")
        }
    }

    @Test("the state round-trips through its bytes; damaged bytes are refused with the reason")
    func snapshotRoundTrip() throws {
        let yaml = "group_by: [k]\ntimeout: 1s\ntimestamp_field: ts\nmerge: { n: sum, a: array, f: first }"
        let transform = try Self.reduce(yaml)
        _ = transform.process(
            [
                Self.record(
                    "x",
                    [
                        ("k", .string("a")), ("ts", .int(5)), ("n", .int(1)), ("a", .object(["deep": .array([.int(1), .string("two")])])),
                        ("f", .string("é")),
                    ]),
                Self.record("y", [("k", .null), ("ts", .int(6)), ("n", .double(2.5))]),
                Self.record("z", [("k", .string("a")), ("ts", .int(7)), ("n", .int(3))]),
            ], from: Self.partition)
        let bytes = try #require(transform.snapshot(Self.partition))
        #expect(Array(bytes.prefix(4)) == Array("RDS1".utf8))
        let decoded = try ReduceState(decoding: bytes)
        #expect(decoded.encoded() == bytes)
        #expect(decoded.groups.count == 2 && decoded.eventTime == 7 && decoded.nextSequence == 3)
        let restored = try Self.reduce(yaml)
        try restored.restore(Self.partition, from: bytes)
        #expect(Self.run(restored, []) == Self.run(transform, []))
        for cut in [0, 3, 4, 20, bytes.count / 2, bytes.count - 1] {
            #expect(throws: ReduceState.Damaged.self) { try ReduceState(decoding: Array(bytes.prefix(cut))) }
        }
        #expect(throws: ReduceState.Damaged.self) { try ReduceState(decoding: bytes + [0]) }
        let error = #expect(throws: ReduceState.Damaged.self) { try ReduceState(decoding: Array("THS1".utf8) + bytes.dropFirst(4)) }
        #expect(error?.description == "not a reduce state (it does not start with RDS1)")
        #expect(try Self.reduce(yaml).snapshot(Self.partition) == nil)
    }

    static let propertyYAML =
        "group_by: [k]\nstarts_when: '.message starts_with \"S\"'\nends_when: '.message ends_with \"E\"'\nmax_records: 7\ntimeout: 300ms\ntimestamp_field: ts\nmax_groups: 3\nmerge: { n: sum, ts: min, all: array }"

    @Test(
        "random streams cut into random batches, snapshotted and restored at random points, write what one pass writes", arguments: 0..<10)
    func snapshotsAnywhere(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let lines = try loghubLines("OpenSSH_2k.log")
        var time: Int64 = 0
        let records = (0..<2000).map { i -> PipelineRecord in
            time += Int64(random.next() % 60)
            let marker = ["S", "E", "", "", ""][Int(random.next() % 5)]
            var record = PipelineRecord(
                message: Array(((marker == "S" ? "S" : "") + String(decoding: lines[i], as: UTF8.self) + (marker == "E" ? "E" : "")).utf8)[
                    ...], timestamp: Int64(i))
            record.fields["k"] = .string("k\(random.next() % 5)")
            record.fields["ts"] = .int(time - Int64(random.next() % 100))
            record.fields["n"] = random.next() % 10 == 0 ? .string("bad") : .int(Int64(i))
            record.fields["all"] = .int(Int64(i))
            return record
        }
        let whole = try Self.reduce(Self.propertyYAML)
        let once = whole.process(records, from: Self.partition)
        let expected = (once.records + whole.flush().records).map(\.object)
        var current = try Self.reduce(Self.propertyYAML)
        var written: [Value] = []
        var failed = 0
        var at = 0
        while at < records.count {
            let cut = min(records.count, at + 1 + Int(random.next() % 150))
            let result = current.process(Array(records[at..<cut]), from: Self.partition)
            written += result.records.map(\.object)
            failed += result.failures.count
            at = cut
            if random.next() % 2 == 0 {
                let snapshot = current.snapshot(Self.partition)
                current = try Self.reduce(Self.propertyYAML)
                try current.restore(Self.partition, from: snapshot)
            }
        }
        written += current.flush().records.map(\.object)
        #expect(written == expected)
        #expect(failed == once.failures.count && failed > 0)
        let merged = written.compactMap { if case .object(let f) = $0, case .int(let n)? = f["reduce_count"] { Int(n) } else { nil } }
        #expect(merged.reduce(0, +) + failed == records.count)
        #expect(merged.contains { $0 > 1 } && merged.contains(1))
    }

    @Test("a tests: case of a pipeline gets the open groups at the end of its input")
    func pipelineTestCase() throws {
        let text = """
            topics:
              raw: {}
            transforms:
              traces:
                type: reduce
                inputs: [raw]
                starts_when: '!(.message matches "^\\s")'
            sinks:
              out: { type: stdout, inputs: [traces] }
            tests:
              - name: continuation lines join the line before them
                input: { at: raw, lines: ["boom", "\\tat a", "\\tat b", "next"] }
                expect:
                  from: traces
                  records:
                    - { message: "boom\\n\\tat a\\n\\tat b", reduce_count: 3 }
                    - { message: "next", reduce_count: 1 }
            """
        let (definition, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "p.yaml", defaultName: "p")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let outcomes = PipelineTestRunner.run(try #require(definition))
        #expect(outcomes.map(\.problems) == [[]])
    }
}
