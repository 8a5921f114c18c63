import Foundation
import Synchronization
import WeirValues

/// `route`: each record goes to every case whose condition holds (`<id>.<case>`), or to
/// `_unmatched`.
struct RouteTransform: RecordTransform {
    let routes: [(String, Expression)]

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for record in batch {
            do {
                // All cases first: a record that fails one goes nowhere but to the failures.
                var matched: [String] = []
                for (name, condition) in routes where try condition.matches(record.fields) { matched.append(name) }
                for name in matched.isEmpty ? ["_unmatched"] : matched { result.emit(record, to: name) }
            } catch {
                result.fail(record, "route: \(error.message)")
            }
        }
        return result
    }
}
