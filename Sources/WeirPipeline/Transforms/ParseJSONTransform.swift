import Foundation
import Synchronization
import WeirValues

/// `parse_json`: a JSON object in a field becomes fields (merged over the existing ones).
struct ParseJSONTransform: FieldParser {
    let field: String

    var notAString: String { "parse_json: '\(field)' is not a JSON object" }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        var text = text
        // The byte parser: no Foundation bridging, and nesting is capped (512 levels).
        guard case .object(let object)? = text.withUTF8({ try? JSONValueParser.parse(UnsafeRawBufferPointer($0)) }) else {
            return .failure(ParseFailure(reason: notAString))
        }
        return .success(object.map { ($0.key, $0.value) })
    }
}
