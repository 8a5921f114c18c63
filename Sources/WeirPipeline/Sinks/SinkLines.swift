import WeirLog
import WeirValues

/// A batch as a sink that writes lines reads it: how many, each one's timestamp (a dated
/// path is chosen by it), and each one's line. Either records in an encoding or, with no
/// transform between the topic and the sink, the values as they were read
/// (`ValueLines`): a `text` sink then never makes a record.
protocol SinkLines {
    var count: Int { get }
    func timestamp(_ index: Int) -> Int64
    /// Appends the line at `index` (without newline) as UTF-8.
    func write(_ index: Int, into bytes: inout [UInt8], scratch: inout JSONObjectScratch)
}

/// Records, each written in an encoding; read in place.
struct EncodedRecords: SinkLines {
    let records: UnsafeBufferPointer<PipelineRecord>
    let encoding: RecordEncoding

    var count: Int { records.count }

    func timestamp(_ index: Int) -> Int64 { records[index].timestamp }

    func write(_ index: Int, into bytes: inout [UInt8], scratch: inout JSONObjectScratch) {
        encoding.write(records[index].fields, timestamp: records[index].timestamp, into: &bytes, scratch: &scratch)
    }
}

/// The values of a batch read from a topic, each one a line: exactly what the `text`
/// encoding writes of the records they make (whose `message` is the value). ASCII and
/// valid UTF-8 are copied as they are; bytes that are not UTF-8 are written as decoding
/// them gives (U+FFFD for each bad sequence), as they are for a record.
struct ValueLines: SinkLines {
    let values: UnsafeBufferPointer<UInt8>
    let entries: UnsafeBufferPointer<FetchedBatch.Entry>
    /// Whether every value is ASCII (checked once for the batch).
    let ascii: Bool

    init(values: UnsafeBufferPointer<UInt8>, entries: UnsafeBufferPointer<FetchedBatch.Entry>) {
        self.values = values
        self.entries = entries
        ascii = Fields.isASCII(values)
    }

    var count: Int { entries.count }

    func timestamp(_ index: Int) -> Int64 { entries[index].timestamp }

    /// The value at `index`, in place.
    func value(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let start = index == 0 ? 0 : entries[index - 1].end
        return UnsafeBufferPointer(rebasing: values[start..<entries[index].end])
    }

    func write(_ index: Int, into bytes: inout [UInt8], scratch: inout JSONObjectScratch) {
        let value = value(index)
        if ascii || Fields.isASCII(value) {
            bytes.append(contentsOf: value)
        } else {
            bytes.append(contentsOf: String(decoding: value, as: UTF8.self).utf8)
        }
    }
}

/// A sink that can write a batch read straight from a topic without its records being
/// made (`SinkRunner` asks it when no transform stands between, and nobody taps the sink).
protocol ValueLinesWriter: SinkOutput {
    /// Whether `write(values:checkpoint:)` may be used (the `text` encoding; a topic sink
    /// also needs no key expression).
    var writesValuesAsLines: Bool { get }
    /// What `write(_:checkpoint:)` does with the batch's records.
    func write(values: ValueLines, checkpoint: inout SinkCheckpoint) throws
}
