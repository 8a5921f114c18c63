import Foundation
import Logging
import WeirLog
import WeirValues

/// The `topic` sink: appends records into a topic of the same log, keyed by the `key`
/// expression when given, so pipelines chain. The value is the record in `encoding`:
/// `json` (the default: the fields, which a `parse_json` downstream gets back) or `text`. At least once: a run killed after the append and before its commit
/// appends that batch again.
final class TopicSink: ValueLinesWriter {
    let producer: any LogAppender
    let key: Expression?
    let encoding: RecordEncoding

    init(topic: String, log: any PipelineLog, key: Expression?, encoding: RecordEncoding) throws {
        producer = try log.appender(to: topic, creating: nil, chunks: false)
        self.key = key
        self.encoding = encoding
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        var scratch = JSONObjectScratch()
        for record in records {
            var value: [UInt8] = []
            encoding.write(record, into: &value, scratch: &scratch)
            try producer.send(Record(key: record.key(from: key), value: value, timestamp: record.timestamp, headers: record.headers))
        }
        try producer.flush()
    }

    var writesValuesAsLines: Bool { encoding == .text && key == nil }

    func write(values: ValueLines, checkpoint: inout SinkCheckpoint) throws {
        var scratch = JSONObjectScratch()
        for i in 0..<values.count {
            var value: [UInt8] = []
            values.write(i, into: &value, scratch: &scratch)
            let entry = values.entries[i]
            try producer.send(Record(key: entry.key, value: value, timestamp: entry.timestamp, headers: entry.headers))
        }
        try producer.flush()
    }
}
