import Foundation
import Testing
import WeirTestSupport

@testable import WeirValues

/// The flat path of `Value.writeJSONObject` against the piecewise one it stands in for.
@Suite struct FlatJSONObjectTests {
    /// Both paths' bytes, and whether the flat one took the object.
    static func both(_ fields: Fields, extra: (key: String, value: Value)?) -> (flat: [UInt8]?, piecewise: [UInt8]) {
        var flat: [UInt8] = Array("prefix ".utf8)
        let took = FlatJSONObject.write(fields, extra: extra, into: &flat)
        var piecewise: [UInt8] = Array("prefix ".utf8)
        Value.writeJSONObjectPiecewise(fields, extra: extra, into: &piecewise)
        return (took ? flat : nil, piecewise)
    }

    @Test func writesWhatThePiecewisePathWritesForFlatMembers() throws {
        var generator = SeededGenerator(seed: 15)
        // Every ASCII byte appears, escaped or not, at every position of an 8-byte word.
        let alphabet = (0..<128).map { UInt8($0) }
        let numbers: [Int64] = [0, 7, -7, 10, 99, 100, -100, 1_700_000_000_123, .max, .min]
        for round in 0..<2_000 {
            var fields = Fields()
            for member in 0..<Int.random(in: 0...7, using: &generator) {
                let length = Int.random(in: 0...100, using: &generator)
                let text = (0..<length).map { _ in
                    Int.random(in: 0..<4, using: &generator) == 0 ? alphabet.randomElement(using: &generator) ?? 0 : UInt8(ascii: "a")
                }
                let name = member == 3 ? "na\"me\(member)" : "field\(member)"
                switch Int.random(in: 0..<6, using: &generator) {
                case 0: fields.setText(name, Array("xx".utf8 + text)[2...])
                case 1: fields[name] = .string(String(decoding: text, as: UTF8.self))
                case 2: fields[name] = .int(numbers.randomElement(using: &generator) ?? 0)
                case 3: fields[name] = .bool(round % 2 == 0)
                case 4: fields[name] = .null
                default: fields.setText(name, text[...])
                }
            }
            let extra: (key: String, value: Value)? =
                round % 3 == 0 ? nil : ("_timestamp", .int(numbers.randomElement(using: &generator) ?? 0))
            let (flat, piecewise) = Self.both(fields, extra: extra)
            let written = try #require(flat)
            #expect(written == piecewise, "\(String(decoding: piecewise, as: UTF8.self))")
            // And it is JSON that parses back to the same strings (an oracle independent
            // of the escaping both paths share).
            let parsed = try #require(
                try JSONSerialization.jsonObject(with: Data(written.dropFirst("prefix ".count))) as? [String: Any])
            for (name, value) in fields {
                if case .string(let text) = value { #expect(parsed[name] as? String == text) }
            }
        }
    }

    @Test func aFieldOfTheExtraNameWinsOverTheExtra() {
        let fields: Fields = ["_timestamp": .string("mine"), "a": .int(1)]
        let (flat, piecewise) = Self.both(fields, extra: ("_timestamp", .int(5)))
        #expect(flat == piecewise)
        #expect(String(decoding: piecewise, as: UTF8.self) == #"prefix {"_timestamp":"mine","a":1}"#)
    }

    @Test func leavesObjectsWithOtherMembersToThePiecewisePath() {
        let nonASCII = Array("café".utf8)
        let cases: [Fields] = [
            ["a": .double(1.5)], ["a": .array([.int(1)])], ["a": .object(["b": .int(1)])], ["a": .string("é")], Fields(),
        ]
        for fields in cases.dropLast() {
            var out: [UInt8] = []
            #expect(!FlatJSONObject.write(fields, extra: nil, into: &out))
            #expect(out.isEmpty)
        }
        var text = Fields()
        text.setText("message", nonASCII[...])
        var out: [UInt8] = []
        #expect(!FlatJSONObject.write(text, extra: nil, into: &out))
        #expect(Value.object(text).jsonText() == #"{"message":"café"}"#)
        #expect(Value.object(Fields()).jsonText() == "{}")
    }

    /// A writer of many objects keeps their names' text from one to the next: whatever
    /// the names do between objects (the same, reordered, one more, one renamed, a field
    /// taking the extra member's name, another extra key), each object is written as a
    /// fresh writer writes it.
    @Test func namesKeptAcrossObjectsWriteWhatFreshNamesWrite() {
        var generator = SeededGenerator(seed: 16)
        let pool = ["client", "time", "status", "_timestamp", "é", "a\"b", "path"]
        let extras: [String?] = [nil, "_timestamp", "_timestamp", "_timestamp", "other"]
        var scratch = JSONObjectScratch()
        var fields: Fields = ["client": .int(1), "time": .int(2)]
        for _ in 0..<2_000 {
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: fields = Fields(fields.reversed().map { ($0.key, $0.value) })
            case 1: fields[pool.randomElement(using: &generator) ?? "x"] = .int(3)
            case 2: if let name = fields.keys.randomElement(using: &generator) { fields.removeValue(forKey: name) }
            default: break  // the same names as the last object, most often
            }
            let extra = extras.randomElement(using: &generator).flatMap { $0 }.map { (key: $0, value: Value.int(9)) }
            var kept: [UInt8] = []
            Value.writeJSONObject(fields, extra: extra, scratch: &scratch, into: &kept)
            var fresh: [UInt8] = []
            Value.writeJSONObjectPiecewise(fields, extra: extra, into: &fresh)
            #expect(kept == fresh, "\(String(decoding: fresh, as: UTF8.self))")
        }
    }

    @Test func namesOutsideASCIIAreWrittenAsThePiecewisePathWritesThem() {
        let fields: Fields = ["é": .int(1), "naïve\u{1}": .string("x")]
        var out: [UInt8] = []
        #expect(FlatJSONObject.write(fields, extra: ("_timestamp", .int(2)), into: &out))
        var piecewise: [UInt8] = []
        Value.writeJSONObjectPiecewise(fields, extra: ("_timestamp", .int(2)), into: &piecewise)
        #expect(out == piecewise)
        #expect(String(decoding: out, as: UTF8.self) == #"{"_timestamp":2,"é":1,"naïve\u0001":"x"}"#)
    }

    /// A byte that is not ASCII, anywhere in any member (after others were written in
    /// one pass), leaves the object to the piecewise path, with nothing written.
    @Test func textOutsideASCIIAnywhereLeavesTheObjectWhole() {
        var generator = SeededGenerator(seed: 18)
        var scratch = JSONObjectScratch()
        for _ in 0..<500 {
            var fields = Fields()
            let members = Int.random(in: 1...5, using: &generator)
            let spoiled = Int.random(in: 0..<members, using: &generator)
            for member in 0..<members {
                var text = (0..<Int.random(in: 1...40, using: &generator)).map { _ in UInt8.random(in: 0x20..<0x7F, using: &generator) }
                if member == spoiled { text[Int.random(in: 0..<text.count, using: &generator)] = 0xC3 }
                if Bool.random(using: &generator) {
                    fields.setText("m\(member)", text[...])
                } else {
                    fields["m\(member)"] = .string(String(decoding: text, as: UTF8.self))
                }
            }
            var out: [UInt8] = [1, 2]
            #expect(!FlatJSONObject.write(fields, extra: ("_timestamp", .int(1)), scratch: &scratch, into: &out))
            #expect(out == [1, 2])
            var general: [UInt8] = []
            Value.writeJSONObject(fields, extra: ("_timestamp", .int(1)), scratch: &scratch, into: &general)
            var piecewise: [UInt8] = []
            Value.writeJSONObjectPiecewise(fields, extra: ("_timestamp", .int(1)), into: &piecewise)
            #expect(general == piecewise)
        }
    }
}
