import Foundation
import Testing
import WeirLog
import WeirTestSupport
import WeirValues

@testable import WeirPipeline

/// `dedupe`: a record whose key was seen within the window of event time, among the keys
/// kept, is dropped; the kept keys, snapshotted and restored anywhere, pass the same
/// records.
@Suite("dedupe")
struct DedupeTransformTests {
    static let partition = TopicPartition(topic: "raw", partition: 0)

    static func dedupe(_ options: String) throws -> DedupeTransform {
        try #require(try makeTransform("type: dedupe\n" + options) as? DedupeTransform)
    }

    static func record(_ ip: String, _ ts: Int64, _ n: Int) -> PipelineRecord {
        var fields = Fields()
        fields["ip"] = .string(ip)
        fields["ts"] = .int(ts)
        fields["n"] = .int(Int64(n))
        return PipelineRecord(timestamp: 0, fields: fields)
    }

    static func numbers(_ result: TransformResult) -> [Int64] {
        result.records.compactMap { if case .int(let n)? = $0[field: "n"] { n } else { nil } }
    }

    @Test("without a window a kept key is a duplicate however old; max_keys forgets the least recently seen, not the oldest")
    func leastRecentlySeen() throws {
        let keys = ["a", "b", "a", "c", "a", "b", "b"]
        let batch = keys.enumerated().map { Self.record($1, 0, $0 + 1) }
        #expect(Self.numbers(try Self.dedupe("fields: [ip]").process(batch, from: Self.partition)) == [1, 2, 4])
        // Two keys kept: the repeat of a (3) makes b the least recently seen, so c forgets
        // b, a stays a duplicate (5), b passes again (6) and forgets c.
        #expect(Self.numbers(try Self.dedupe("fields: [ip]\nmax_keys: 2").process(batch, from: Self.partition)) == [1, 2, 4, 6])
    }

    @Test("with a window, the time the key's record passed counts: repeats do not extend it, a late record is a duplicate")
    func window() throws {
        let batch = [
            Self.record("a", 0, 1), Self.record("a", 500, 2), Self.record("a", 999, 3), Self.record("a", 1000, 4),
            Self.record("a", 1500, 5), Self.record("b", 1600, 6), Self.record("a", 300, 7), Self.record("a", 2000, 8),
        ]
        let transform = try Self.dedupe("fields: [ip]\nwindow: 1s\ntimestamp_field: ts")
        #expect(Self.numbers(transform.process(batch, from: Self.partition)) == [1, 4, 6, 8])
        let lettered = try Self.dedupe("fields: [ip]\nwindow: 1s\ntimestamp_field: ts\non_duplicate: dead_letter")
            .process(batch, from: Self.partition)
        #expect(lettered.failures.map { $0.record[field: "n"] } == [2, 3, 5, 7].map { .int($0) })
        #expect(
            lettered.failures.first?.reason == #"dedupe: duplicate of ["a"], which passed at 1970-01-01T00:00:00.000Z, within 1000 ms"#)
        // The record's own timestamp is the event time when there is no timestamp_field.
        let stamped = [0, 400, 1200].enumerated().map {
            PipelineRecord(timestamp: Int64($1), fields: ["ip": .string("a"), "n": .int(Int64($0))])
        }
        #expect(Self.numbers(try Self.dedupe("fields: [ip]\nwindow: 1s").process(stamped, from: Self.partition)) == [0, 2])
        let bad = [PipelineRecord(timestamp: 0, fields: ["ip": .string("a"), "ts": .string("yesterday")])]
        let failed = transform.process(bad, from: Self.partition)
        #expect(failed.failures.map(\.reason) == ["dedupe: timestamp_field 'ts' is not RFC 3339 or epoch milliseconds"])
    }

    @Test("keys of several fields: a missing field is null, types count, text as read equals the same string")
    func keys() throws {
        var text = Fields()
        text.setText("message", Array("disk full".utf8)[...])
        let records = [
            PipelineRecord(timestamp: 0, fields: text),
            PipelineRecord(timestamp: 0, fields: ["message": .string("disk full")]),
            PipelineRecord(timestamp: 0, fields: ["message": .string("disk full"), "host": .string("b")]),
            PipelineRecord(timestamp: 0, fields: ["message": .string("disk full"), "host": .null]),
            PipelineRecord(timestamp: 0, fields: ["message": .string("1")]),
            PipelineRecord(timestamp: 0, fields: ["message": .int(1)]),
            PipelineRecord(timestamp: 0, fields: ["message": .double(1)]),
            PipelineRecord(timestamp: 0, fields: ["message": .array([.string("disk"), .string("full")])]),
            PipelineRecord(timestamp: 0, fields: ["message": .array([.string("disk full")])]),
            PipelineRecord(timestamp: 0, fields: ["message": .array([.string("disk full")])]),
        ]
        let passed = try Self.dedupe("fields: [message, host]\non_duplicate: dead_letter").process(records, from: Self.partition)
        #expect(passed.records.count == 7)
        #expect(
            passed.failures.map(\.reason) == [
                #"dedupe: duplicate of ["disk full",null], among the last 10000 keys"#,
                #"dedupe: duplicate of ["disk full",null], among the last 10000 keys"#,
                #"dedupe: duplicate of [["disk full"],null], among the last 10000 keys"#,
            ])
    }

    @Test("key_expression: the key is the expression's value; an error dead-letters the record")
    func keyExpression() throws {
        let records =
            ["Alice", "alice", "ALICE", "bob"].map { PipelineRecord(timestamp: 0, fields: ["user": .string($0)]) }
            + [PipelineRecord(timestamp: 0, fields: ["user": .int(7)])]
        let result = try Self.dedupe("key_expression: lower(.user)").process(records, from: Self.partition)
        #expect(result.records.map { $0[field: "user"] } == [.string("Alice"), .string("bob")])
        #expect(result.failures.count == 1 && result.failures[0].reason.hasPrefix("dedupe: key_expression: lower needs a string"))
    }

    @Test("options: the key, the window and timestamp_field are refused naming the option")
    func options() throws {
        let cases: [(String, String)] = [
            ("window: 1s", "fields must name the key's fields"),
            ("fields: []", "fields must name the key's fields"),
            ("fields: [ip]\nkey_expression: .ip", "key_expression takes the place of fields"),
            ("fields: [ip]\nwindow: 1 minute", "window must be a duration"),
            ("fields: [ip]\nwindow: 0s", "window must be a duration"),
            ("fields: [ip]\ntimestamp_field: ts", "timestamp_field is the event time of window"),
            ("fields: [ip]\nmax_keys: 0", "max_keys"),
            ("fields: [ip]\non_duplicate: keep", "on_duplicate"),
        ]
        for (options, message) in cases {
            let text =
                "topics: { raw: {} }\ntransforms:\n  t:\n    inputs: [raw]\n"
                + ("type: dedupe\n" + options).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
            let (_, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "t.yaml", defaultName: "t")
            #expect(diagnostics.count == 1 && "\(diagnostics)".contains("t.yaml:") && "\(diagnostics)".contains(message), "\(diagnostics)")
        }
        #expect(ComponentRegistry.builtIn.spec(.transform, "dedupe")?.keepsStatePerPartition == true)
    }

    @Test("a snapshot restores the keys, their order and the newest time; a damaged one is refused with the reason")
    func snapshots() throws {
        let transform = try Self.dedupe("fields: [ip]\nwindow: 1s\ntimestamp_field: ts\nmax_keys: 3")
        #expect(transform.snapshot(Self.partition) == nil)
        _ = transform.process((0..<5).map { Self.record("ip\($0 % 4)", Int64($0 * 10), $0) }, from: Self.partition)
        let snapshot = try #require(transform.snapshot(Self.partition))
        #expect(Array(snapshot.prefix(4)) == Array("DDS1".utf8))
        let state = try DedupeState(decoding: snapshot)
        #expect(state.encoded() == snapshot)
        #expect(state.entries.count == 3 && state.newest == 40)
        // Least recently seen first: ip2 (20), ip3 (30), ip0 (40).
        #expect(state.keysByRecency.map(\.passedAt) == [20, 30, 40])

        let damaged: [([UInt8], String)] = [
            (Array(snapshot.dropLast()), "dedupe state cut short"),
            (Array("THS1".utf8) + snapshot.dropFirst(4), "not a dedupe state"),
            (snapshot + [0], "1 bytes after the dedupe state"),
            (Array(snapshot.prefix(12)) + [255, 255, 255, 0] + snapshot.dropFirst(16), "claims 16777215 keys"),
        ]
        for (bytes, message) in damaged {
            let error = #expect(throws: DedupeState.Damaged.self) { try DedupeState(decoding: bytes) }
            #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        }
        var twice = DedupeState()
        _ = twice.see(DedupeKey(bytes: [1, 2]), at: 0, window: nil, maxKeys: 10)
        let one = twice.encoded()
        let doubled = Array(one.prefix(12)) + [2, 0, 0, 0] + one.dropFirst(16) + one.dropFirst(16)
        let error = #expect(throws: DedupeState.Damaged.self) { try DedupeState(decoding: doubled) }
        #expect(error?.description.contains("holds a key twice") == true)
        try transform.restore(Self.partition, from: nil)
        #expect(transform.snapshot(Self.partition) == nil)
    }

    @Test(
        "random streams cut into random batches, snapshotted and restored at random points, pass what one pass and a plain model pass",
        arguments: 0..<12)
    func snapshotsAnywhere(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let windowed = seed % 3 != 2
        let options = "fields: [ip]\nmax_keys: \(2 + seed % 5)" + (windowed ? "\nwindow: 1s\ntimestamp_field: ts" : "")
        var time: Int64 = 0
        let records = (0..<4000).map { i -> PipelineRecord in
            time += Int64(random.next() % 100)
            return Self.record("ip\(random.next() % 8)", time - Int64(random.next() % 300), i)
        }
        let expected = Self.numbers(try Self.dedupe(options).process(records, from: Self.partition))
        #expect(expected == Self.model(records, window: windowed ? 1000 : nil, maxKeys: Int(2 + seed % 5)))
        var current = try Self.dedupe(options)
        var passed: [Int64] = []
        var at = 0
        while at < records.count {
            let cut = min(records.count, at + 1 + Int(random.next() % 200))
            passed += Self.numbers(current.process(Array(records[at..<cut]), from: Self.partition))
            at = cut
            if random.next() % 2 == 0 {
                let snapshot = current.snapshot(Self.partition)
                current = try Self.dedupe(options)
                try current.restore(Self.partition, from: snapshot)
            }
        }
        #expect(passed == expected)
        #expect(passed.count < records.count && passed.count > 0)
    }

    /// The rules of docs/transforms.md in the plainest code: keys in a list, least recently
    /// seen first, searched and moved one record at a time.
    static func model(_ records: [PipelineRecord], window: Int64?, maxKeys: Int) -> [Int64] {
        var kept: [(key: Value, passedAt: Int64)] = []
        var newest = Int64.min
        var passed: [Int64] = []
        func live(_ passedAt: Int64) -> Bool { window.map { passedAt + $0 > newest } ?? true }
        for record in records {
            guard case .int(let time)? = record[field: "ts"], case .int(let n)? = record[field: "n"] else { continue }
            let key = record[field: "ip"] ?? .null
            if window != nil { newest = max(newest, time) }
            if let at = kept.firstIndex(where: { $0.key == key }) {
                var entry = kept.remove(at: at)
                if !live(entry.passedAt) {
                    entry.passedAt = time
                    passed.append(n)
                }
                kept.append(entry)
            } else {
                kept.append((key, time))
                passed.append(n)
            }
            while let first = kept.first, kept.count > maxKeys || !live(first.passedAt) { kept.removeFirst() }
        }
        return passed
    }

    @Test("a tests: case of a pipeline checks what dedupe passes")
    func pipelineTestCase() throws {
        let text = """
            topics:
              raw: {}
            transforms:
              parsed: { type: parse_regex, inputs: [raw], pattern: 'from (?<ip>[0-9.]+)' }
              unique: { type: dedupe, inputs: [parsed], fields: [ip] }
            sinks:
              out: { type: stdout, inputs: [unique] }
            tests:
              - name: the first line of each address passes
                input:
                  at: raw
                  lines:
                    - "Failed password for root from 173.234.31.186 port 38926 ssh2"
                    - "Failed password for admin from 173.234.31.186 port 38927 ssh2"
                    - "Accepted password for fred from 52.80.34.196 port 36060 ssh2"
                    - "Failed password for fred from 52.80.34.196 port 36061 ssh2"
                expect:
                  from: unique
                  records:
                    - { message: "Failed password for root from 173.234.31.186 port 38926 ssh2", ip: "173.234.31.186" }
                    - { message: "Accepted password for fred from 52.80.34.196 port 36060 ssh2", ip: "52.80.34.196" }
            """
        let (definition, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "p.yaml", defaultName: "p")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let outcomes = PipelineTestRunner.run(try #require(definition))
        #expect(outcomes.map(\.problems) == [[]])
    }
}
