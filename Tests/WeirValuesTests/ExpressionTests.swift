import Testing

@testable import WeirValues

@Suite("Expression language")
struct ExpressionTests {
    static let record: Value = .object([
        "message": .string("Failed password for root from 10.0.0.7 port 22"),
        "host": .string("LabSZ"),
        "pid": .int(24200),
        "ratio": .double(0.75),
        "ok": .bool(false),
        "tags": .array([.string("ssh"), .string("auth")]),
        "user": .object(["name": .string("Root"), "id": .int(0)]),
        "nothing": .null,
    ])

    @Test(
        "conditions evaluate as a reader expects",
        arguments: [
            (#".message starts_with "Failed password""#, true),
            (#".message ends_with "22""#, true),
            (#".message contains "root""#, true),
            (#".host == "LabSZ" && .pid > 24000"#, true),
            (#".host == "other" || .pid == 24200"#, true),
            (".pid >= 24200 && .pid <= 24200 && .pid != 1", true),
            (".ratio < 1 && .ratio > 0.5", true),
            (".pid == 24200.0", true),
            ("!.ok", true),
            ("!(.pid < 10)", true),
            ("exists(.user.name) && !exists(.user.email)", true),
            ("exists(.nothing)", true),
            (".missing == null", true),
            (".missing > 3", false),
            (#"lower(.user.name) == "root""#, true),
            (#"upper(.host) == "LABSZ""#, true),
            (#"to_int("42") == 42 && to_string(.pid) == "24200""#, true),
            ("length(.tags) == 2 && length(.host) == 5 && length(.user) == 2", true),
            (#".tags contains "auth""#, true),
            (#".message matches "from [0-9.]+ port""#, true),
            (#".missing matches "x""#, false),
            (#"'single quoted' == "single quoted""#, true),
            (#"("a" < "b") == true"#, true),
            (".missing", false),
        ])
    func conditions(text: String, expected: Bool) throws {
        let expression = try Expression(parsing: text)
        #expect(try expression.matches(Self.record) == expected, "\(text)")
    }

    @Test("&& binds tighter than ||, and ! tighter than comparisons")
    func precedence() throws {
        #expect(try Expression(parsing: "true || false && false").matches(.object([:])))
        #expect(try !Expression(parsing: "(true || false) && false").matches(.object([:])))
        #expect(try Expression(parsing: "!false == true").matches(.object([:])))
    }

    @Test("values come out of field paths and functions")
    func values() throws {
        #expect(try Expression(parsing: ".user.name").evaluate(Self.record) == .string("Root"))
        #expect(try Expression(parsing: "lower(.user.name)").evaluate(Self.record) == .string("root"))
        #expect(try Expression(parsing: "length(.message)").evaluate(Self.record) == .int(46))
        #expect(try Expression(parsing: "-3").evaluate(Self.record) == .int(-3))
    }

    @Test(
        "bad expressions are refused with the column of the problem",
        arguments: [
            (".message starts_with", 21, "expected a value"),
            (#".message == "open"#, 13, "string is not closed"),
            ("frobnicate(.x)", 1, "unknown function 'frobnicate'"),
            ("lower(.a, .b)", 1, "takes 1 argument"),
            ("exists(\"x\")", 1, "exists takes a field path"),
            (#".m matches "([a-z""#, 4, "invalid regex"),
            (".m matches .n", 4, "needs a string literal"),
            (".a == 1 1", 9, "unexpected 1"),
            ("(.a == 1", 9, "expected ')'"),
            (".a = 1", 4, "unexpected character '='"),
            ("status == 1", 1, "unknown word 'status'"),
            (". == 1", 2, "expected a field name"),
        ])
    func errors(text: String, column: Int, message: String) {
        do {
            _ = try Expression(parsing: text)
            Issue.record("'\(text)' should not parse")
        } catch {
            #expect(error.column == column, "\(text): \(error)")
            #expect(error.message.contains(message), "\(text): \(error)")
        }
    }

    @Test(
        "type mismatches at run time are errors for that record, not crashes",
        arguments: [
            ".host < 3", "lower(.pid)", ".pid && true", "to_int(.host)", ".tags starts_with \"s\"", ".pid contains 2",
        ])
    func runtimeErrors(text: String) throws {
        let expression = try Expression(parsing: text)
        #expect(throws: ExpressionError.self) { try expression.matches(Self.record) }
    }
}
