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
        // The batch is encoded into one buffer, with no string per line, and written at once.
        var lines: [UInt8] = []
        var scratch = JSONObjectScratch()
        for record in records {
            encoding.write(record, into: &lines, scratch: &scratch)
            lines.append(UInt8(ascii: "\n"))
        }
        try writer.write(lines: lines)
        try writer.flush()
    }
}
