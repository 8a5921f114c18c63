import Foundation
import Logging
import WeirLog
import WeirValues

/// How `json` and `text` encodings turn a record into a line (the `encoding` option of
/// the `file`, `stdout` and `topic` sinks).
public enum RecordEncoding: String, Sendable {
    /// One JSON object: `_timestamp` (ms since the epoch), then the fields in their order.
    case json
    /// The `message` field, or the fields as JSON when there is none.
    case text

    /// The line, without newline.
    public func line(_ record: PipelineRecord) -> String {
        var bytes: [UInt8] = []
        write(record, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the line (without newline) as UTF-8, from the record's fields as they are
    /// held (a message still in the bytes it was read with is copied, never decoded).
    public func write(_ record: PipelineRecord, into bytes: inout [UInt8]) {
        var scratch = JSONObjectScratch()
        write(record, into: &bytes, scratch: &scratch)
    }

    /// `write(_:into:)` for a writer of many records, which keeps the JSON text of their
    /// field names and room to write in, in `scratch`, from one record to the next.
    func write(_ record: PipelineRecord, into bytes: inout [UInt8], scratch: inout JSONObjectScratch) {
        write(record.fields, timestamp: record.timestamp, into: &bytes, scratch: &scratch)
    }

    /// The line of a record of these fields and timestamp: for a writer that reads
    /// records where they are, without copying a whole record out.
    func write(_ fields: Fields, timestamp: Int64, into bytes: inout [UInt8], scratch: inout JSONObjectScratch) {
        switch self {
        case .json:
            Value.writeJSONObject(fields, extra: ("_timestamp", .int(timestamp)), scratch: &scratch, into: &bytes)
        case .text:
            if let raw = fields.asciiText("message") { return bytes.append(contentsOf: raw) }
            if case .string(let message) = fields["message"] { return bytes.append(contentsOf: message.utf8) }
            Value.object(fields).writeJSON(into: &bytes)
        }
    }
}
