import Foundation
import Logging
import WeirLog
import WeirValues

final class StdoutSink: ValueLinesWriter {
    let writer: any LineWriter
    let encoding: RecordEncoding

    init(writer: any LineWriter, encoding: RecordEncoding) {
        self.writer = writer
        self.encoding = encoding
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        try records.withUnsafeBufferPointer { try write(lines: EncodedRecords(records: $0, encoding: encoding)) }
    }

    var writesValuesAsLines: Bool { encoding == .text }

    func write(values: ValueLines, checkpoint: inout SinkCheckpoint) throws {
        try write(lines: values)
    }

    /// The batch is encoded into one buffer, with no string per line, and written at once.
    private func write(lines: some SinkLines) throws {
        var bytes: [UInt8] = []
        var scratch = JSONObjectScratch()
        for i in 0..<lines.count {
            lines.write(i, into: &bytes, scratch: &scratch)
            bytes.append(UInt8(ascii: "\n"))
        }
        try writer.write(lines: bytes)
        try writer.flush()
    }
}
