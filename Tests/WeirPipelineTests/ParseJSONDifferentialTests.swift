import Foundation
import Testing
import WeirTestSupport
import WeirValues

@testable import WeirPipeline

/// `parse_json` reads members straight from the message's bytes (`JSONMembersReader`);
/// these tests hold it to what it did before, on every input: the message read as a
/// `String`, `JSONValueParser.parse` of its UTF-8, and each member set by name.
@Suite("parse_json against JSONValueParser")
struct ParseJSONDifferentialTests {
    /// The record as the old `parse_json` left it, or nil for a failure.
    static func oldParse(_ record: PipelineRecord, field: String = "message") -> PipelineRecord? {
        guard case .string(var text) = record[field: field] else { return nil }
        guard case .object(let object)? = text.withUTF8({ try? JSONValueParser.parse(UnsafeRawBufferPointer($0)) }) else {
            return nil
        }
        var record = record
        record.merge(object.map { ($0.key, $0.value) })
        return record
    }

    /// Runs the batch through `parse_json` and checks each record against `oldParse`:
    /// the same names in the same order with equal values, or a failure (with the record
    /// as it was) where the old one failed.
    static func check(_ batch: [PipelineRecord], field: String = "message", sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let transform = try makeTransform(field == "message" ? "type: parse_json" : "type: parse_json\nfield: \(field)")
        let result = transform.process(batch)
        var parsed = result.records[...]
        var failed = result.failures[...]
        for (i, record) in batch.enumerated() {
            if let expected = oldParse(record, field: field) {
                guard let got = parsed.popFirst() else {
                    Issue.record("record \(i) failed: \(text(record))", sourceLocation: sourceLocation)
                    return
                }
                let same = got.fields.keys == expected.fields.keys && got.fields.map(\.value) == expected.fields.map(\.value)
                #expect(
                    same, "record \(i): \(text(record))\n got \(Array(got.fields))\n old \(Array(expected.fields))",
                    sourceLocation: sourceLocation)
            } else {
                guard let failure = failed.popFirst() else {
                    Issue.record("record \(i) parsed, the old parser failed it: \(text(record))", sourceLocation: sourceLocation)
                    return
                }
                #expect(failure.reason == "parse_json: '\(field)' is not a JSON object", sourceLocation: sourceLocation)
                #expect(
                    failure.record.fields.keys == record.fields.keys && failure.record.fields.map(\.value) == record.fields.map(\.value),
                    "record \(i) was changed by its failure", sourceLocation: sourceLocation)
            }
        }
        #expect(parsed.isEmpty && failed.isEmpty, sourceLocation: sourceLocation)
    }

    static func text(_ record: PipelineRecord) -> String { "\(record.fields["message"].map { "\($0)" } ?? "-")" }

    /// A record whose message is `bytes` as a source reads it (a slice of a larger
    /// buffer), or as a `String` when `asString`.
    static func record(_ bytes: [UInt8], asString: Bool = false, extra: [(String, Value)] = []) -> PipelineRecord {
        var record: PipelineRecord
        if asString {
            record = PipelineRecord(message: String(decoding: bytes, as: UTF8.self), timestamp: 1)
        } else {
            let buffer = [UInt8]("xx".utf8) + bytes + [UInt8]("yy".utf8)
            record = PipelineRecord(message: buffer[2..<(2 + bytes.count)], timestamp: 1)
        }
        for (name, value) in extra { record.fields[name] = value }
        return record
    }

    static let edgeCases: [String] = [
        #"{}"#, #" { } "#, #"{"a":1}"#, "\u{FEFF}{\"a\":1}", #"{"a":"x","a":"y","b":2,"a":3}"#,
        #"{"s":"plain","e":"tab\there","q":"say \"hi\"","sl":"a\/b","bs":"back\\slash"}"#,
        #"{"all":"\"\\\/\b\f\n\r\t","mixed":"a\tb\u0041c\nd"}"#,
        #"{"u":"\u00e9\u4e2d","pair":"\ud83d\ude00","lone":"\ud83d"}"#, #"{"low":"\ude00"}"#, #"{"bad":"\ud83dx"}"#,
        #"{"ctl":"\u0000\u001f"}"#, "{\"raw\":\"a\u{01}b\"}", "{\"nl\":\"a\nb\"}", #"{"esc":"\x"}"#, #"{"short":"\u12"}"#,
        #"{"n":0,"neg":-0,"big":123456789012345678,"bigger":1234567890123456789,"max":9223372036854775807}"#,
        #"{"over":9223372036854775808,"under":-9223372036854775809,"huge":1e400,"tiny":1e-400}"#,
        #"{"f":0.5,"nf":-0.0,"e":1e3,"E":2E-3,"ep":3e+2,"fe":1.5e10}"#, #"{"lead":01}"#, #"{"dot":1.}"#,
        #"{"exp":1e}"#, #"{"minus":-}"#, #"{"plus":+1}"#, #"{"hex":0x10}"#, #"{"n":1a}"#, #"{"n":-01}"#,
        #"{"t":true,"f":false,"z":null}"#, #"{"t":tru}"#, #"{"t":trueish}"#, #"{"z":nul}"#,
        #"{"arr":[1,"two",[3],{"four":4}],"obj":{"x":{"y":[]}}}"#, #"{"a":[}"#, #"{"a":{"b":}}"#,
        " \t\r\n{ \"a\" : 1 , \"b\" :\"x\" } \n", #"{"a":1,}"#, #"{,"a":1}"#, #"{"a" 1}"#, #"{"a":1 "b":2}"#,
        #"{a:1}"#, #"{"a":1}}"#, #"{"a":1} x"#, #"{"a":1"#, #"{"a":"#, #"{"a""#, #"{""#, "{", "", " ", "[1,2]",
        #""str""#, "1", "null", #"{"":"empty key","message":"replaced"}"#, #"{"message":{"nested":true}}"#,
        #"{"k\"q":1,"k\u0041":2,"kA":3}"#, #"{"é":"ü","中":"文"}"#, #"{"a":"\u00"}"#, #"{"a":"x"#,
        String(repeating: "[", count: 600), "{\"deep\":" + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}",
        "{\"deep\":" + String(repeating: "[", count: 512) + String(repeating: "]", count: 512) + "}",
    ]

    @Test("edge cases: escapes, surrogates, numbers, literals, nesting, duplicates, whitespace, bad text")
    func edgeCases() throws {
        var batch: [PipelineRecord] = []
        for text in Self.edgeCases {
            let bytes = [UInt8](text.utf8)
            batch.append(Self.record(bytes))
            batch.append(Self.record(bytes, asString: true))
            batch.append(Self.record(bytes, extra: [("host", .string("h")), ("a", .int(0))]))
        }
        try Self.check(batch)
        // One record a batch: nothing kept from an earlier object.
        for record in batch { try Self.check([record]) }
    }

    @Test("invalid UTF-8 inside and outside strings decodes as the message's String did")
    func invalidUTF8() throws {
        let pieces: [[UInt8]] = [[0xFF], [0xC3], [0xE2, 0x82], [0xC3, 0xA9], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98, 0x80], [0x80]]
        var batch: [PipelineRecord] = []
        for piece in pieces {
            for text in [#"{"a":"x\#u{0}y"}"#, #"{"a\#u{0}":"v"}"#, #"{"a":"\#u{0}\u00e9"}"#, #"{"a":"\n\#u{0}"}"#, #"{"a":1\#u{0}}"#] {
                let parts = [UInt8](text.utf8).split(separator: 0, omittingEmptySubsequences: false)
                let bytes = Array(parts[0]) + piece + Array(parts[1])
                batch.append(Self.record(bytes))
                batch.append(Self.record(bytes, asString: true))
            }
        }
        try Self.check(batch)
    }

    @Test("every loghub sample line as a JSON object, plain and with escapes")
    func loghub() throws {
        let names = try FileManager.default.contentsOfDirectory(
            atPath: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("samples/loghub").path
        ).filter { $0.hasSuffix(".log") }.sorted()
        #expect(names.count >= 16)
        for name in names {
            let lines = try GrokPatternTests.loghub(name)
            var batch: [PipelineRecord] = []
            for (i, line) in lines.enumerated() {
                let words = line.split(separator: " ", maxSplits: 4)
                var fields = Fields()
                fields["file"] = .string(name)
                fields["line"] = .int(Int64(i))
                fields["message"] = .string(line)
                fields["first"] = .string(words.first.map(String.init) ?? "")
                fields["length"] = .int(Int64(line.utf8.count))
                fields["ratio"] = .double(Double(i) / 7)
                if i % 5 == 0 { fields["words"] = .array(words.map { .string(String($0)) }) }
                if i % 7 == 0 { fields["nested"] = .object(["n": .int(Int64(-i)), "ok": .bool(i % 2 == 0), "none": .null]) }
                var out: [UInt8] = []
                Value.object(fields).writeJSON(into: &out)
                batch.append(Self.record(out, asString: i % 3 == 0))
            }
            try Self.check(batch)
        }
    }

    /// A random object: keys from a small set (so objects repeat each other's keys, as a
    /// topic's do), values of every kind.
    static func randomObject(_ random: inout SeededGenerator) -> [UInt8] {
        let keys = ["a", "b", "message", "host", "k\\u0041", "", "é", "status", "a"]
        let values = [
            #""text""#, #""""#, #""esc\n\"q\"""#, #""\ud83d\ude00""#, "\"ü\"", "0", "-0", "12", "-345", "123456789012345678",
            "12345678901234567890", "1.5", "-2e3", "1E+2", "true", "false", "null", "[1,\"x\",{}]", #"{"in":"side"}"#, "[]", "{}",
        ]
        let count = Int.random(in: 0...6, using: &random)
        var text = "{"
        for i in 0..<count {
            if i > 0 { text += Bool.random(using: &random) ? "," : " , " }
            text += "\"\(keys.randomElement(using: &random)!)\":" + values.randomElement(using: &random)!
        }
        return [UInt8]((text + "}").utf8)
    }

    /// `bytes` with a few random bytes changed, inserted or removed.
    static func mutate(_ bytes: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        let alphabet = [UInt8](#"{}[]":,\ 0123456789-+.eEtrufalsn"#.utf8) + [0x00, 0x0A, 0x1F, 0x80, 0xC3, 0xA9, 0xFF, 0xED]
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let at = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0 where at < bytes.count: bytes[at] = alphabet.randomElement(using: &random)!
            case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
            default: if at < bytes.count { bytes.remove(at: at) }
            }
        }
        return bytes
    }

    @Test("random objects, as they are and mutated, in batches that repeat keys", arguments: [1, 2, 3, 4] as [UInt64])
    func fuzz(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<60 {
            var batch: [PipelineRecord] = []
            let template = Self.randomObject(&random)
            for _ in 0..<40 {
                let bytes: [UInt8]
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes = Self.randomObject(&random)
                case 1: bytes = Self.mutate(template, &random)
                default: bytes = template
                }
                let extra: [(String, Value)] = Bool.random(using: &random) ? [] : [("host", .string("h")), ("b", .int(1))]
                batch.append(Self.record(bytes, asString: Int.random(in: 0..<4, using: &random) == 0, extra: extra))
            }
            try Self.check(batch)
        }
    }

    @Test("another field than message, and a field that is not a string")
    func otherField() throws {
        var record = PipelineRecord(message: "m", timestamp: 1)
        record.fields["body"] = .string(#"{"message":"from body","body":7,"x":1}"#)
        var number = PipelineRecord(message: "m", timestamp: 1)
        number.fields["body"] = .int(1)
        try Self.check([record, number, PipelineRecord(message: "m", timestamp: 1)], field: "body")
    }
}
