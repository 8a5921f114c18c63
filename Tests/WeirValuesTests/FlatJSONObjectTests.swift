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
                let length = Int.random(in: 0...40, using: &generator)
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
            ["a": .double(1.5)], ["a": .array([.int(1)])], ["a": .object(["b": .int(1)])], ["a": .string("é")],
            ["é": .int(1)], Fields(),
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
}
