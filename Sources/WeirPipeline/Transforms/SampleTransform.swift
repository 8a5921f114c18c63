import Foundation
import Synchronization
import WeirValues

/// `sample`: keeps one record in `rate`, counting across batches.
final class SampleTransform: RecordTransform {
    let rate: Int64
    private let seen = Mutex<Int64>(0)

    init(rate: Int64) { self.rate = rate }

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        seen.withLock { seen in
            for record in batch {
                if seen % rate == 0 { result.emit(record) }
                seen += 1
            }
        }
        return result
    }
}
