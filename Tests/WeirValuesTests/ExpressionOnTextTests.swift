import Foundation
import Testing
import WeirTestSupport

@testable import WeirValues

/// Conditions decided on a field's bytes give what the general evaluation gives.
@Suite struct ExpressionOnTextTests {
    /// The outcome of a condition: its truth, or the error's message and column.
    static func outcome(_ body: () throws(ExpressionError) -> Bool) -> String {
        do throws(ExpressionError) {
            return "\(try body())"
        } catch {
            return "error at \(error.column): \(error.message)"
        }
    }

    @Test func decidesWhatTheGeneralEvaluationDecides() throws {
        var generator = SeededGenerator(seed: 17)
        // Texts and literals meant to meet: prefixes, suffixes, inner parts, case, the
        // Kelvin sign (canonically "K"), other non-ASCII, bytes that are not UTF-8, empty.
        let texts: [[UInt8]] =
            [
                "200", "2", "", "20", "404", "K", "k", "GET /a", "/a", "café", "\u{212A}", "a\"b", "x200y",
            ].map { Array($0.utf8) } + [[0xFF, 0x32], [0x32, 0xC3]]
        let literals = ["2", "20", "200", "", "K", "\u{212A}", "/a", "é", "caf", "0", "a\"b", "GET"]
        let operators: [WeirValues.Expression.ComparisonOperator] = [.equal, .notEqual, .startsWith, .endsWith, .contains, .less]
        let names = ["status", "path", "missing"]

        func comparison() -> WeirValues.Expression {
            let name = names.randomElement(using: &generator) ?? "status"
            let op = operators.randomElement(using: &generator) ?? .equal
            let literal = literals.randomElement(using: &generator) ?? ""
            return .compare(op, .path([name], column: 1), .literal(.string(literal)), column: 1)
        }
        func condition(_ depth: Int) -> WeirValues.Expression {
            switch depth == 0 ? 0 : Int.random(in: 0..<6, using: &generator) {
            case 1: .and(condition(depth - 1), condition(depth - 1))
            case 2: .or(condition(depth - 1), condition(depth - 1))
            case 3: .not(condition(depth - 1), column: 1)
            // Not decided on bytes: the general evaluation answers (an error included).
            case 4: .compare(.equal, .path(["status"], column: 1), .literal(.int(200)), column: 1)
            case 5: .path(["status"], column: 1)
            default: comparison()
            }
        }
        for _ in 0..<5_000 {
            var fields = Fields()
            for name in names.dropLast() {
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: break
                case 1: fields[name] = .string(String(decoding: texts.randomElement(using: &generator) ?? [], as: UTF8.self))
                case 2: fields[name] = .int(200)
                default:
                    let text = texts.randomElement(using: &generator) ?? []
                    fields.setText(name, (text + [0x20])[0..<text.count])
                }
            }
            let expression = condition(3)
            #expect(
                Self.outcome { () throws(ExpressionError) in try expression.matches(fields) }
                    == Self.outcome { () throws(ExpressionError) in try expression.matches(Value.object(fields)) },
                "\(expression) on \(fields)")
        }
    }

    @Test func aFilterConditionOnParsedBytes() throws {
        let line = Array(#"10.0.0.1 - - "GET /index.html HTTP/1.1" 200 512"#.utf8)
        var fields = Fields()
        fields.setText("message", line[...])
        let status = (line.count - 7)..<(line.count - 4)
        fields.setText("status", line[status])
        #expect(String(decoding: line[status], as: UTF8.self) == "200")
        #expect(try WeirValues.Expression(parsing: #".status starts_with "2" && .message contains "GET""#).matches(fields))
        #expect(try !WeirValues.Expression(parsing: #".status == "404" || !(.message ends_with "512")"#).matches(fields))
        #expect(try WeirValues.Expression(parsing: #".missing != "x""#).matches(fields))
    }
}
