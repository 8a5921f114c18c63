import Foundation
import Logging
import WeirLog
import WeirValues

final class BlackholeSink: SinkOutput {
    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {}
}
