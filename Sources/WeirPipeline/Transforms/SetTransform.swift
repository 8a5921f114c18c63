import Foundation
import Synchronization
import WeirValues

/// `set`: fields computed by expressions (all from the record as it came in).
struct SetTransform: RecordTransform {
    var processesRecordsIndependently: Bool { true }
    let fields: [(String, Expression)]

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        records: for original in batch {
            var record = original
            for (name, expression) in fields {
                do {
                    record[field: name] = try expression.evaluate(original.object)
                } catch {
                    result.fail(original, "set \(name): \(error.message)")
                    continue records
                }
            }
            result.emit(record)
        }
        return result
    }
}
