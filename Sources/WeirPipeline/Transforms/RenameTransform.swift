import Foundation
import Synchronization
import WeirValues

/// `rename`: moves fields to new names (a missing field is left alone).
struct RenameTransform: RecordTransform {
    var processesRecordsIndependently: Bool { true }
    let pairs: [(String, String)]

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for var record in batch {
            // Take every source value before writing any, so swaps and chains keep their data.
            let moved = pairs.compactMap { from, to in record[field: from].map { (to, $0) } }
            for (from, _) in pairs { record[field: from] = nil }
            for (to, value) in moved { record[field: to] = value }
            result.emit(record)
        }
        return result
    }
}
