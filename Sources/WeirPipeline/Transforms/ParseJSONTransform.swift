import Foundation
import Synchronization
import WeirValues

/// `parse_json`: a JSON object in a field becomes fields (merged over the existing ones).
///
/// The object is read from the field's bytes by `JSONMembersReader`: string members
/// stay slices of the message and the members are appended in place, with no `String`
/// made of the message. The values and the merge are those of `JSONValueParser.parse`
/// followed by setting each member by name (what this transform did before).
struct ParseJSONTransform: FieldParser {
    let field: String

    var notAString: String { "parse_json: '\(field)' is not a JSON object" }

    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        // One reader for the batch: it keeps the keys of one object for the next.
        var reader = JSONMembersReader()
        return parseEach(batch) { parse(&$0, reader: &reader) }
    }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        var fields = Fields()
        var reader = JSONMembersReader()
        guard reader.merge(ArraySlice(text.utf8), into: &fields) else { return .failure(ParseFailure(reason: notAString)) }
        return .success(fields.map { ($0.key, $0.value) })
    }

    /// Sets the members of the field's object on the record. The reader takes the bytes
    /// as read when they are ASCII, else the UTF-8 of the field's string (invalid UTF-8
    /// decoded with U+FFFD, as reading the field as a string always did), so that every
    /// slice it keeps is valid UTF-8.
    private func parse(_ record: inout PipelineRecord, reader: inout JSONMembersReader) -> ParseFailure? {
        let parsed: Bool
        if let bytes = record.fields.asciiText(field) {
            parsed = reader.merge(bytes, into: &record.fields)
        } else if case .string(let text) = record[field: field] {
            parsed = reader.merge(ArraySlice(text.utf8), into: &record.fields)
        } else {
            parsed = false
        }
        return parsed ? nil : ParseFailure(reason: notAString)
    }
}
