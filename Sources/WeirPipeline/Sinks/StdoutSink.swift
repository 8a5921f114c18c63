import Foundation
import Logging
import WeirLog
import WeirValues

final class StdoutSink: SinkOutput {
    let writer: any LineWriter
    let encoding: RecordEncoding

    init(writer: any LineWriter, encoding: RecordEncoding) {
        self.writer = writer
        self.encoding = encoding
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        for record in records { try writer.write(encoding.line(record)) }
        try writer.flush()
    }
}
