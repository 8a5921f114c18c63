import Foundation
import Synchronization
public import WeirValues

/// `parse_json`: a JSON object in a field becomes fields (merged over the existing ones).
///
/// The object is read from the field's bytes by `JSONMembersReader`: string members
/// stay slices of the message and the members are appended in place, with no `String`
/// made of the message. The values and the merge are those of `JSONValueParser.parse`
/// followed by setting each member by name (what this transform did before).
struct ParseJSONTransform: FieldParser {
    let parser: JSONFieldParser

    init(field: String) { parser = JSONFieldParser(field: field) }

    var field: String { parser.field }
    var notAString: String { parser.failure }

    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        // One reader for the batch: it keeps the keys of one object for the next.
        var reader = JSONMembersReader()
        return parseEach(batch) { parser.parse(&$0, reader: &reader) ? nil : ParseFailure(reason: parser.failure) }
    }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        var fields = Fields()
        var reader = JSONMembersReader()
        guard reader.merge(ArraySlice(text.utf8), into: &fields) else { return .failure(ParseFailure(reason: notAString)) }
        return .success(fields.map { ($0.key, $0.value) })
    }
}

/// What `parse_json` does to one record, for an output that reads the JSON itself
/// (`JSONObjectsWriter`) and parses a record the way the transform does when it must.
public struct JSONFieldParser: Sendable {
    /// The field holding the JSON text.
    public let field: String

    /// Why a record fails: its field is missing, not a string, or not a JSON object.
    public var failure: String { "parse_json: '\(field)' is not a JSON object" }

    public init(field: String) { self.field = field }

    /// Sets the members of the field's object on the record; false, leaving it as it was,
    /// when the field holds no JSON object. The reader takes the bytes as read when they
    /// are ASCII, else the UTF-8 of the field's string (invalid UTF-8 decoded with
    /// U+FFFD, as reading the field as a string always did), so that every slice it keeps
    /// is valid UTF-8.
    public func parse(_ record: inout PipelineRecord, reader: inout JSONMembersReader) -> Bool {
        if let bytes = record.fields.asciiText(field) {
            return reader.merge(bytes, into: &record.fields)
        } else if case .string(let text) = record[field: field] {
            return reader.merge(ArraySlice(text.utf8), into: &record.fields)
        }
        return false
    }

    /// The records of `values`, parsed, in order; nil when one of them fails.
    public func parsed(_ values: TopicValues) -> [PipelineRecord]? {
        parsed((0..<values.count).map(values.record))
    }

    /// Every record parsed, in order; nil when one of them fails.
    public func parsed(_ records: [PipelineRecord]) -> [PipelineRecord]? {
        var reader = JSONMembersReader()
        var records = records
        for index in records.indices {
            guard parse(&records[index], reader: &reader) else { return nil }
        }
        return records
    }
}
