import Foundation
import Synchronization
import WeirValues

/// `remove`: drops fields.
struct RemoveTransform: RecordTransform {
    var processesRecordsIndependently: Bool { true }
    let fields: [String]

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for var record in batch {
            for name in fields { record[field: name] = nil }
            result.emit(record)
        }
        return result
    }
}
