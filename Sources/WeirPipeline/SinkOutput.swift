import Foundation
public import Logging
import WeirLog

/// A sink: where the records reaching it go.
///
/// `write` hands over one batch (from one member at a time) and returns once the sink
/// has it: that return is the acknowledgement after which the batch's input offsets are
/// committed (a throw stops the run, nothing of the batch committed). A sink whose
/// output must be made durable says how in `syncWork`: the runner asks for it under the
/// same lock as `write` and runs it, one at a time, before the commit, so one member
/// writes while another's fsync runs and one fsync covers both. `checkpoint` holds what
/// the built-in file sink commits with the offsets (its file lengths); other sinks leave
/// it alone. `close` is called once when the run ends.
public protocol SinkOutput: AnyObject {
    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws
    func syncWork() -> SyncWork
    func close()
    /// Its checkpoint's offsets are the whole truth of where it got to (the file sink's
    /// output starts empty with them), so the group's offsets, which `weir groups
    /// reset-offsets` moves, are not read.
    var offsetsOnlyInCheckpoint: Bool { get }
    /// Several members may call `write` at the same time (it has no `syncWork` and
    /// leaves `checkpoint` alone).
    var writesConcurrently: Bool { get }
}

/// The durable half of a commit, run without the output's lock.
public typealias SyncWork = () throws -> Void

extension SinkOutput {
    /// Outputs that are done when `write` returns.
    public func syncWork() -> SyncWork { {} }
    public func close() {}
    public var offsetsOnlyInCheckpoint: Bool { false }
    public var writesConcurrently: Bool { false }
}

/// What a sink is made from: its options, and what the run offers it.
public struct SinkSetup {
    public let options: ComponentOptions
    public let logger: Logger
    /// Set when the run stops at once: a sink waiting (retrying) should give up.
    public let abort: StopFlag
    let log: EmbeddedLog
    let lines: any LineWriter
    let deadLetters: DeadLetters
    /// The sink's last commit, and where its checkpoint files are.
    let saved: SinkCheckpoint?
    let checkpointPath: String
    let createdPath: String

    /// Sends a record the sink refuses (and will refuse again) to the pipeline's
    /// dead-letter topic with the reason, before the batch's commit.
    public func deadLetter(_ record: PipelineRecord, reason: String) {
        deadLetters.add(record, reason: reason, component: options.id)
    }
}

/// A sink's progress: its output length and the next offset of each input partition,
/// written together so output and offsets can never disagree.
public struct SinkCheckpoint: Codable, Sendable {
    /// The `path` option of the file sink this checkpoint belongs to.
    var path: String?
    /// Committed length of `path` (checkpoints of a single plain file, as first written).
    var length: UInt64 = 0
    /// Committed length of every file a file sink wrote (date placeholders, rotation).
    var files: [String: UInt64]?
    /// Per file a template gives, the suffix rotation (`max_bytes`) has reached.
    var rotation: [String: Int]?
    /// Keyed "topic/partition" on disk (`TopicPartition` is `CodingKeyRepresentable`).
    var offsets: [TopicPartition: Int64] = [:]
    /// Per topic, the incarnation the offsets belong to (`Topic.incarnation`).
    var incarnations: [String: String]?
}

/// Lines for standard output, shared by every `stdout` sink of a process.
public protocol LineWriter: Sendable {
    func write(_ line: String) throws
    /// Makes what was written visible; throws when the reader went away.
    func flush() throws
}

/// How `json` and `text` encodings turn a record into a line.
enum RecordEncoding: String {
    /// One JSON object: the fields plus `_timestamp` (ms since the epoch).
    case json
    /// The `message` field, or the fields as JSON when there is none.
    case text

    init(_ option: Value?, default fallback: RecordEncoding) {
        self = option.flatMap { if case .string(let name) = $0 { RecordEncoding(rawValue: name) } else { nil } } ?? fallback
    }

    func line(_ record: PipelineRecord) -> String {
        var bytes: [UInt8] = []
        write(record, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the line (without newline) as UTF-8.
    func write(_ record: PipelineRecord, into bytes: inout [UInt8]) {
        switch self {
        case .json:
            guard case .object(let fields) = record.fields else { return record.fields.writeJSON(into: &bytes) }
            Value.writeJSONObject(fields, extra: ("_timestamp", .int(record.timestamp)), into: &bytes)
        case .text:
            if case .string(let message) = record[field: "message"] { return bytes.append(contentsOf: message.utf8) }
            record.fields.writeJSON(into: &bytes)
        }
    }
}

final class StdoutOutput: SinkOutput {
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

final class BlackholeOutput: SinkOutput {
    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {}
}

/// The `topic` sink: appends records into a topic of the same log, keyed by the `key`
/// expression when given, so pipelines chain. The value is the record in `encoding`:
/// `json` (the default: the fields, which a `parse_json` downstream gets back) or `text`. At least once: a run killed after the append and before its commit
/// appends that batch again.
final class TopicOutput: SinkOutput {
    let producer: Producer
    let key: Expression?
    let encoding: RecordEncoding

    init(topic: Topic, key: Expression?, encoding: RecordEncoding) throws {
        producer = try Producer(topic: topic)
        self.key = key
        self.encoding = encoding
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        for record in records {
            let value = Array(encoding.line(record).utf8)
            var keyBytes = record.key
            if let key, let computed = try? key.evaluate(record.fields) {
                switch computed {
                case .null: keyBytes = nil
                case .string(let text): keyBytes = Array(text.utf8)
                default: keyBytes = Array(computed.jsonText().utf8)
                }
            }
            try producer.send(Record(key: keyBytes, value: value, timestamp: record.timestamp, headers: record.headers))
        }
        try producer.flush()
    }
}
