import Foundation
import Synchronization
import WeirValues

/// `parse_regex`: the named captures of the pattern become string fields.
struct ParseRegexTransform: FieldParser {
    let regex: CompiledRegex
    let field: String

    init(pattern: String, field: String) throws {
        regex = try CompiledRegex(pattern)
        self.field = field
    }

    var notAString: String { "parse_regex: field '\(field)' is not a string" }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        guard let captures = regex.captures(text, Value.string) else {
            return .failure(ParseFailure(reason: "parse_regex: '\(field)' does not match the pattern"))
        }
        return .success(captures)
    }
}
