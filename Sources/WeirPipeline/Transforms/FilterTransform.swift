import Foundation
import Synchronization
import WeirValues

/// `filter`: keeps the records for which the condition holds.
struct FilterTransform: RecordTransform {
    let condition: Expression

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for record in batch {
            do {
                if try condition.matches(record.fields) { result.emit(record) }
            } catch {
                result.fail(record, "condition: \(error.message)")
            }
        }
        return result
    }
}
