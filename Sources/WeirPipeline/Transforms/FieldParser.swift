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
    /// A record parses the same whatever else is in its batch.
    var processesRecordsIndependently: Bool { true }

    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        parseEach(batch) { parse(&$0) }
    }

    /// Parses the record's field and merges what it gives; the failure when it does not parse.
    func parse(_ record: inout PipelineRecord) -> ParseFailure? {
        guard case .string(let text) = record[field: field] else { return ParseFailure(reason: notAString) }
        switch parse(text) {
        case .success(let fields):
            record.merge(fields)
            return nil
        case .failure(let failure):
            return failure
        }
    }

    /// Runs `parse` on each record in place (the batch is this transform's own, so no
    /// record is copied); those it fails are taken out as failures, in one pass.
    func parseEach(_ batch: consuming [PipelineRecord], _ parse: (inout PipelineRecord) -> ParseFailure?) -> TransformResult {
        var records = batch
        var result = TransformResult()
        // Records that parse are moved down over those that failed, in order.
        records.removeAll(inPlace: { record in
            guard let failure = parse(&record) else { return false }
            result.fail(record, failure.reason)
            return true
        })
        if !records.isEmpty { result.outputs[""] = records }
        return result
    }
}
