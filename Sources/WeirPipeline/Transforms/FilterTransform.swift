import Foundation
import Synchronization
import WeirValues

/// `filter`: keeps the records for which the condition holds.
struct FilterTransform: RecordTransform {
    var processesRecordsIndependently: Bool { true }
    let condition: Expression

    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        var records = batch
        var result = TransformResult()
        // Kept in place: the records that stay are moved, not copied.
        records.removeAll(inPlace: { record in
            do throws(ExpressionError) {
                return try !condition.matches(record.fields)
            } catch {
                result.fail(record, "condition: \(error.message)")
                return true
            }
        })
        if !records.isEmpty { result.outputs[""] = records }
        return result
    }
}
