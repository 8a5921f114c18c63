import Testing
import WeirPipeline
import WeirValues

@testable import WeirPostgres

/// `COPY` text written straight from records' fields (`PostgresCopyRows`), without a
/// server: the same text `PostgresColumn.text(of:)` gives each value, escaped.
@Suite("postgres COPY text")
struct PostgresCopyTextTests {
    static func column(_ name: String, _ typeName: String, _ category: Character) -> PostgresColumn {
        PostgresColumn(name: name, type: typeName, typeName: typeName, category: category, takesValues: true)
    }

    static let columns: [(column: PostgresColumn, source: PostgresSink.Source)] = [
        (column("client", "text", "S"), .field("client")),
        (column("status", "int4", "N"), .field("status")),
        (column("note", "text", "S"), .field("note")),
        (column("doc", "jsonb", "U"), .field("doc")),
        (column("at", "timestamptz", "D"), .timestamp),
    ]

    static func record(_ fields: Fields, timestamp: Int64 = 1_733_390_000_123) -> PipelineRecord {
        PipelineRecord(timestamp: timestamp, fields: fields)
    }

    @Test("times written by arithmetic are the text gmtime_r gives, in and out of years 0 to 9999")
    func times() {
        var millis: [Int64] = [0, -1, -999, -1000, -1001, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            millis.append(Int64(bitPattern: state >> 20) - (1 << 42))
        }
        for value in millis {
            var rows = PostgresCopyRows(
                [Self.record([:], timestamp: value)], columns: [(Self.column("at", "timestamptz", "D"), .timestamp)], refuse: { _, _ in })
            let text = String(decoding: rows.groups[0].text, as: UTF8.self)
            #expect(text == PostgresColumn.iso8601(millis: value) + "\n", "\(value)")
            rows = PostgresCopyRows(
                [Self.record(["n": .int(value)])], columns: [(Self.column("n", "int8", "N"), .field("n"))], refuse: { _, _ in })
            #expect(String(decoding: rows.groups[0].text, as: UTF8.self) == "\(value)\n")
        }
    }

    @Test("cells from bytes and values, escaped; rows grouped by the columns they fill; refused rows left out")
    func rows() {
        var bytes = Fields()
        bytes.setText("client", ArraySlice("10.0.0.1\ta\\b".utf8))
        bytes["status"] = .int(-200)
        bytes.setText("note", ArraySlice([0x63, 0x61, 0x66, 0xC3, 0xA9, 0xFF]))  // "café" and a byte that is not UTF-8
        bytes.setText("doc", ArraySlice("say \"hi\"\n".utf8))
        let values: Fields = ["note": .null, "status": .string("7"), "client": .string("x\ry"), "doc": .object(["a": .int(1)])]
        let absent: Fields = ["client": .string("c"), "status": .int(1)]
        let refused: Fields = ["client": .string("d"), "status": .object([:])]
        var reasons: [String] = []
        let rows = PostgresCopyRows(
            [Self.record(bytes), Self.record(values), Self.record(absent), Self.record(refused), Self.record(values)],
            columns: Self.columns,
            refuse: { reasons.append($1) })
        #expect(rows.written == [0, 1, 2, 4])
        #expect(reasons == ["postgres: column status (int4) cannot take a value of type object"])
        #expect(rows.groups.map(\.columns) == [[0, 1, 2, 3, 4], [0, 1, 4]])
        let time = PostgresColumn.iso8601(millis: 1_733_390_000_123)
        let full =
            "10.0.0.1\\ta\\\\b\t-200\tcaf\u{E9}\u{FFFD}\t\"say \\\\\"hi\\\\\"\\\\n\"\t\(time)\n"
            + "x\\ry\t7\t\\N\t{\"a\":1}\t\(time)\n"
        #expect(String(decoding: rows.groups[0].text, as: UTF8.self) == full + "x\\ry\t7\t\\N\t{\"a\":1}\t\(time)\n")
        #expect(String(decoding: rows.groups[1].text, as: UTF8.self) == "c\t1\t\(time)\n")
    }
}
