import Testing
import WeirValues

@Suite struct FieldsTests {
    @Test func fieldsKeepTheOrderTheyWereSetIn() {
        var fields: Fields = ["message": .string("m"), "client": .string("1.2.3.4")]
        fields["status"] = .int(200)
        fields["client"] = .string("5.6.7.8")
        #expect(fields.keys == ["message", "client", "status"])
        fields["message"] = nil
        #expect(fields.keys == ["client", "status"])
        #expect(fields["status"] == .int(200))
        #expect(fields["missing"] == nil)
    }

    @Test func equalityAndHashingIgnoreOrder() {
        let one: Fields = ["a": .int(1), "b": .string("x")]
        let other: Fields = ["b": .string("x"), "a": .int(1)]
        #expect(one == other)
        #expect(one.hashValue == other.hashValue)
        #expect(one != ["a": .int(1)])
        #expect(one != ["a": .int(1), "b": .string("y")])
        #expect(Value.object(one) == .object(other))
    }

    @Test func textHeldAsBytesReadsAsAString() {
        let line = Array("GET /index.html".utf8)[...]
        var fields = Fields()
        fields.setText("message", line)
        fields.setText("method", line.prefix(3))
        #expect(fields["message"] == .string("GET /index.html"))
        #expect(fields["method"] == .string("GET"))
        #expect(fields == ["message": .string("GET /index.html"), "method": .string("GET")])
        #expect(fields.asciiText("method").map(Array.init) == Array("GET".utf8))
    }

    @Test func bytesThatAreNotUTF8DecodeWithReplacementCharacters() {
        var fields = Fields()
        fields.setText("message", [0x61, 0xff, 0x62][...])
        #expect(fields["message"] == .string("a\u{FFFD}b"))
        // Not ASCII: never handed out as bytes to copy.
        #expect(fields.asciiText("message") == nil)
        #expect(Value.object(fields).jsonText() == #"{"message":"a\#u{FFFD}b"}"#)
    }

    @Test func jsonOutputFollowsTheFieldsOrder() {
        var fields = Fields()
        fields.setText("message", Array("a \"quoted\" line".utf8)[...])
        fields["status"] = .int(200)
        fields["client"] = .string("10.0.0.1")
        #expect(Value.object(fields).jsonText() == #"{"message":"a \"quoted\" line","status":200,"client":"10.0.0.1"}"#)
    }

    @Test func parsedJSONObjectsKeepTheirMembersOrder() throws {
        let value = try JSONValueParser.parse(Array(#"{"z":1,"a":{"y":2,"b":3},"m":4,"z":5}"#.utf8))
        #expect(value.jsonText() == #"{"z":5,"a":{"y":2,"b":3},"m":4}"#)
    }
}
