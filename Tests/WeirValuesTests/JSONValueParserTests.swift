import Testing

@testable import WeirValues

/// The byte JSON parser behind parse_json and the plugin protocol: JSON's grammar, no
/// more and no less, and never a crash.
@Suite("JSON parser")
struct JSONValueParserTests {
    func parse(_ text: String) -> Value? { try? JSONValueParser.parse(Array(text.utf8)) }

    @Test("values as JSON writes them")
    func values() {
        #expect(
            parse(#"{"a":[1,-2,3.5,1e3,-0.0,true,false,null,"x\n\u00e9\ud83d\ude00"]}"#)
                == .object([
                    "a": .array([
                        .int(1), .int(-2), .double(3.5), .double(1000), .double(-0.0), .bool(true), .bool(false), .null, .string("x\né😀"),
                    ])
                ]))
        #expect(parse(" \t\r\n 7 \n") == .int(7))
        #expect(parse("\u{FEFF}{\"bom\":1}") == .object(["bom": .int(1)]), "a UTF-8 byte order mark is skipped")
        #expect(parse("92233720368547758070") == .double(Double("92233720368547758070")!), "beyond 64 bits: a number")
    }

    @Test(
        "what JSON does not allow is refused",
        arguments: [
            "01", "-01", ".5", "1.", "1e", "+1", "1e400", "-1e400", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "\"\\x\"", "\"\\ud83d\"",
            "tru", "nul", "[1] 2", "", "\"unterminated", "\"a\u{01}b\"", "[",
        ])
    func refused(_ text: String) {
        #expect(parse(text) == nil, "\(text)")
    }

    @Test("nesting deeper than 512 is refused, not a stack overflow")
    func deep() {
        #expect(parse(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)) == nil)
        #expect(parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)) != nil)
    }
}
