import NIOCore
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline
@testable import WeirPostgres

/// `COPY` rows read from JSON values in place (`PostgresJSONRows`, the sink's side of
/// `JSONObjectsWriter`) against what they stand for: `parse_json` of each record, then
/// `PostgresCopyRows` of the parsed records. Byte for byte, over random objects of every
/// kind of member, with names given twice, escapes, numbers of every shape, text that
/// is not ASCII or not UTF-8, and text that is no JSON object at all.
@Suite("postgres rows from JSON in place")
struct PostgresJSONRowsTests {
    static let column = PostgresCopyTextTests.column

    static let columns: [(column: PostgresColumn, source: PostgresSink.Source)] = [
        (column("client", "text", "S"), .field("client")),
        (column("status", "int4", "N"), .field("status")),
        (column("note", "text", "S"), .field("note")),
        (column("doc", "jsonb", "U"), .field("doc")),
        (column("flag", "bool", "B"), .field("flag")),
        (column("when", "timestamptz", "D"), .field("when")),
        (column("message", "text", "S"), .field("message")),
        (column("who", "text", "S"), .field("user")),
        (column("at", "timestamptz", "D"), .timestamp),
    ]

    /// A batch of `texts` as read from partition 0 of topic `t`.
    static func withValues<Result>(_ texts: [[UInt8]], timestamps: [Int64], _ body: (TopicValues) -> Result) -> Result {
        let values = texts.flatMap { $0 }
        var end = 0
        let entries = texts.indices.map { index in
            end += texts[index].count
            return FetchedBatch.Entry(end: end, offset: Int64(index), timestamp: timestamps[index], key: nil, headers: [])
        }
        return values.withUnsafeBufferPointer { values in
            entries.withUnsafeBufferPointer { entries in
                body(TopicValues(values: values, entries: entries, partition: TopicPartition(topic: "t", partition: 0)))
            }
        }
    }

    /// What the rows must be: each record parsed by `parse_json`, then `PostgresCopyRows`;
    /// nil when a record does not parse.
    static func expected(_ values: TopicValues, _ parser: JSONFieldParser)
        -> (rows: PostgresCopyRows, refused: [(record: PipelineRecord, reason: String)])?
    {
        guard let records = parser.parsed(values) else { return nil }
        var refused: [(record: PipelineRecord, reason: String)] = []
        let rows = PostgresCopyRows(records, columns: columns) { refused.append(($0, $1)) }
        return (rows, refused)
    }

    /// Checks one batch; the rows read in place (nil: the batch does not parse).
    static func check(_ texts: [[UInt8]], timestamps: [Int64], field: String = "message") -> Int? {
        let parser = JSONFieldParser(field: field)
        return withValues(texts, timestamps: timestamps) { values -> Int? in
            let expected = Self.expected(values, parser)
            let got = PostgresJSONRows.rows(values, parsing: parser, columns: columns)
            let batch = texts.map { String(decoding: $0, as: UTF8.self) }
            guard let expected else {
                #expect(got == nil, "\(batch)")
                return nil
            }
            guard let got else {
                Issue.record("no rows for \(batch)")
                return nil
            }
            #expect(got.rows.written == expected.rows.written, "\(batch)")
            #expect(got.rows.groups.map(\.columns) == expected.rows.groups.map(\.columns), "\(batch)")
            #expect(
                got.rows.groups.map { String(decoding: $0.text, as: UTF8.self) }
                    == expected.rows.groups.map { String(decoding: $0.text, as: UTF8.self) }, "\(batch)")
            #expect(got.refused.map(\.reason) == expected.refused.map(\.reason), "\(batch)")
            #expect(got.refused.map(\.record) == expected.refused.map(\.record), "\(batch)")
            return got.inPlace
        }
    }

    /// A small deterministic generator (an LCG).
    struct Random {
        var state: UInt64

        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }

        mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }
    }

    static let keys = [
        "client", "status", "note", "doc", "flag", "when", "message", "user", "other", "", "cl\\u0069ent", "cl\u{EF}ent", "at",
    ]

    static func space(_ random: inout Random) -> String {
        random.next(4) == 0 ? random.pick([" ", "\n", "\t ", "\r\n  "]) : ""
    }

    static func value(_ random: inout Random) -> [UInt8] {
        switch random.next(13) {
        case 0, 1:
            let letters = Array("abc XYZ-09./:?=&_~")
            return Array(("\"" + String((0..<random.next(12)).map { _ in random.pick(letters) }) + "\"").utf8)
        case 2, 3:
            let pieces = ["a", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\r", "\\b", "\\f", " q ", "GET /x"]
            return Array(("\"" + (0..<(1 + random.next(6))).map { _ in random.pick(pieces) }.joined() + "\"").utf8)
        case 4:
            let strings = ["\"\\u00e9t\\u00E9\"", "\"\\u0041\"", "\"\\ud83d\\ude00\"", "\"caf\u{E9}\"", "\"\u{65E5}\""]
            return Array(random.pick(strings).utf8)
        case 5: return [0x22, 0x61, 0xFF, 0x62, 0x22]  // a byte that is not UTF-8
        case 6, 7:
            return Array(
                random.pick([
                    "0", "-0", "42", "-17", "123456789012345678", "-123456789012345678", "1234567890123456789", "1714557600123",
                    "7",
                ]).utf8)
        case 8: return Array(random.pick(["1.5", "-2e3", "0.0", "1E2", "3.25e-1"]).utf8)
        case 9: return Array(random.pick(["true", "false"]).utf8)
        case 10, 11: return Array("null".utf8)
        default: return Array(random.pick(["{\"a\": [1, 2]}", "[1, \"x\"]", "{}", "[]"]).utf8)
        }
    }

    static func object(_ random: inout Random) -> [UInt8] {
        var text = Array((space(&random) + "{" + space(&random)).utf8)
        for member in 0..<random.next(8) {
            if member > 0 { text += Array(("," + space(&random)).utf8) }
            text += Array(("\"" + random.pick(keys) + "\"" + space(&random) + ":" + space(&random)).utf8)
            text += value(&random)
            text += Array(space(&random).utf8)
        }
        return text + Array(("}" + space(&random)).utf8)
    }

    static let notObjects = [
        "not json", "[1, 2]", "{\"a\": 1", "{\"a\": 1} x", "{\"a\": \"tab\there\"}", "", "{\"a\" 1}", "{\"a\": nul}",
        "{\"a\": -}", "{\"a\": 01}", "{\"a\": \"x\\q\"}", "{\"a\": 1,}", "{,}", "\u{FEFF}{\"a\": 1}",
    ]

    @Test("the same rows, refusals and groups as parse_json then PostgresCopyRows, over random batches")
    func sameAsParsed() {
        var random = Random(state: 0x5EED_1234)
        var inPlace = 0
        var batches = 0
        for _ in 0..<400 {
            var texts = (0..<(1 + random.next(30))).map { _ in Self.object(&random) }
            if random.next(8) == 0 { texts.insert(Array(random.pick(Self.notObjects).utf8), at: random.next(texts.count + 1)) }
            let timestamps = texts.map { _ in Int64(random.next(4_000_000_000_000)) - 1_000_000_000_000 }
            if let count = Self.check(texts, timestamps: timestamps) {
                inPlace += count
                batches += 1
            }
        }
        #expect(batches > 300)
        #expect(inPlace > 1000, "\(inPlace) rows read in place")
    }

    @Test("access-log objects are read in place; the one that is not ASCII is parsed, the same rows result")
    func accessLogInPlace() {
        let lines = [
            #"{"_timestamp":1710051900000,"message":"80.232.129.215 - - [10/Mar/2024:06:25:00 +0000] \"GET /a HTTP/1.1\" 200 4798","client":"80.232.129.215","method":"GET","status":200,"note":"https:\/\/x.example\/","when":1710051900000}"#,
            #"{"client": "10.0.0.1", "status": 404, "user": null, "flag": "yes"}"#,
            #"{"client":"10.0.0.2","note":"caf\#u{E9}"}"#,
            #"{}"#,
        ]
        let inPlace = Self.check(lines.map { Array($0.utf8) }, timestamps: [1, 2, 3, 4])
        #expect(inPlace == 3)
    }

    @Test("a record whose field is not a JSON object: no rows, the batch goes through parse_json")
    func notAnObject() {
        #expect(Self.check([Array(#"{"client": "a"}"#.utf8), Array("plain text".utf8)], timestamps: [1, 2]) == nil)
    }

    @Test("parse_json of another field than the record's own: every record fails, as parse_json fails it")
    func otherField() {
        #expect(Self.check([Array(#"{"client": "a"}"#.utf8)], timestamps: [1], field: "body") == nil)
    }
}
