import NIOCore
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

    /// What `append(escaping:)` must write, a byte at a time.
    static func escapedByteByByte(_ bytes: [UInt8]) -> [UInt8] {
        bytes.flatMap { byte -> [UInt8] in
            switch byte {
            case UInt8(ascii: "\\"): Array("\\\\".utf8)
            case UInt8(ascii: "\t"): Array("\\t".utf8)
            case UInt8(ascii: "\n"): Array("\\n".utf8)
            case UInt8(ascii: "\r"): Array("\\r".utf8)
            default: [byte]
            }
        }
    }

    @Test("escaping eight bytes at a time writes what escaping byte by byte writes, at any length and alignment")
    func escapingWords() {
        // Bytes near every edge the word test draws: the escaped ones, other control bytes,
        // 0x1F/0x20/0x21, bytes just under and over the backslash, bytes at and above 0x80.
        let alphabet: [UInt8] = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x21, 0x41, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0x9C, 0xDC, 0xFF]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<5000 {
            let length = next(40)
            // Mostly plain letters, as cells are, with a special byte now and then.
            let bytes = (0..<length).map { _ in next(4) == 0 ? alphabet[next(alphabet.count)] : UInt8(ascii: "a") + UInt8(next(26)) }
            let offset = next(8)
            let padded = [UInt8](repeating: UInt8(ascii: "x"), count: offset) + bytes
            var buffer = ByteBufferAllocator().buffer(capacity: 0)
            padded.withUnsafeBufferPointer {
                PostgresCopyRows.append(escaping: UnsafeBufferPointer(rebasing: $0[offset...]), to: &buffer)
            }
            #expect(Array(buffer.readableBytesView) == Self.escapedByteByByte(bytes), "\(bytes)")
        }
    }
}
