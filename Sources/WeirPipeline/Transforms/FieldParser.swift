import Foundation
import Synchronization
import WeirValues

/// A transform that parses one string field into fields merged over the record's own:
/// `parse_regex`, `parse_json`, `parse_logfmt`. Each says only how to parse; the loop,
/// the merge and the failures are shared.
protocol FieldParser: RecordTransform {
    var field: String { get }
    /// The reason for a record whose field is missing or not a string.
    var notAString: String { get }
    /// The parsed fields, or the reason the text does not parse.
    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure>
}

struct ParseFailure: Error {
    let reason: String
}

extension FieldParser {
    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for var record in batch {
            guard case .string(let text) = record[field: field] else {
                result.fail(record, notAString)
                continue
            }
            switch parse(text) {
            case .success(let fields):
                record.merge(fields)
                result.emit(record)
            case .failure(let failure):
                result.fail(record, failure.reason)
            }
        }
        return result
    }
}
