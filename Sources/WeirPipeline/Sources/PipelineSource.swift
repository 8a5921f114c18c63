public import Logging
public import WeirLog
import WeirValues

/// A source: reads its input and appends it, a batch at a time, into its topic.
///
/// `run` is called on a thread of its own and may block (read files, pipes, sockets). It
/// returns when `context.stop` is set, or, when `context.once` is set, at the end of what
/// there is to read now. Records go in with `context.append`; each call is one batch to
/// one partition, appended together with the position given, so after a crash the log
/// holds both or neither, and `context.position` hands the last one back at the next
/// start. `context.flush()` is the acknowledgement: when it returns, everything appended
/// before is in the log (as durable as the topic's flush policy makes it).
public protocol PipelineSource: Sendable {
    func run(_ context: SourceContext) throws
    /// Why this source would never end under `weir run --once`, or nil (the default).
    var endlessReason: String? { get }
    /// The source says when it is connected (`context.connected()`), and `/ready` waits
    /// for it; otherwise (the default) it counts as connected once it runs.
    var reportsConnection: Bool { get }
}

extension PipelineSource {
    public var endlessReason: String? { nil }
    public var reportsConnection: Bool { false }
}

/// What a source is given to run.
public final class SourceContext: @unchecked Sendable {
    // unchecked: `writer` (a SourceWriter, not Sendable) is made on the runner's thread and then used by the source's own thread only.
    public let options: ComponentOptions
    /// `weir run --once`: read what there is, then return.
    public let once: Bool
    public let stop: StopFlag
    public let logger: Logger
    package let writer: SourceWriter
    let deadLetters: DeadLetters

    init(options: ComponentOptions, once: Bool, stop: StopFlag, logger: Logger, writer: SourceWriter, deadLetters: DeadLetters) {
        self.options = options
        self.once = once
        self.stop = stop
        self.logger = logger
        self.writer = writer
        self.deadLetters = deadLetters
    }

    /// The position stored with the last batch the log holds (nil at the first start).
    public var position: String? { writer.state.opaque }

    /// This source never ran before on this log.
    public var firstStart: Bool { writer.firstStart }

    /// The source reached its input (for a source that `reportsConnection`): `/ready`
    /// counts it from now on.
    public func connected() {
        if writer.stats.state != .running { writer.stats.set(.running) }
    }

    /// The source lost its input and is getting it back (`/ready` says why meanwhile).
    public func disconnected(_ reason: String) {
        writer.stats.set(.starting(reason))
    }

    /// Appends `records` as one batch, with `position` (opaque to Weir: whatever lets the
    /// source continue after them). With no records, the position is kept in the
    /// source's checkpoint instead. Waits first while a sink of the topic is more than
    /// its `max_lag` behind.
    public func append(_ records: [SourceRecord], position: String?) throws {
        guard let last = records.indices.last else {
            if let position { writer.note(.opaque(position)) }
            return
        }
        var positionAppended = false
        for (i, record) in records.enumerated() {
            if record.value.count + (record.key?.count ?? 0) > Producer.maxRecordBytes {
                // Too big for the log: its first MiB goes to the dead-letter topic with the
                // reason, and the batch goes on.
                deadLetter(
                    Array(record.value.prefix(1 << 20)),
                    reason: "a record of \(record.value.count) bytes is over the log's limit of \(Producer.maxRecordBytes)")
                continue
            }
            let carries = i == last ? position : nil
            try record.value.withUnsafeBytes { value in
                try writer.add(
                    value, key: record.key, timestamp: record.timestamp ?? currentTimeMillis(), headers: record.headers,
                    position: carries.map { .opaque($0) })
            }
            positionAppended = carries != nil
        }
        if !positionAppended {
            try writer.endChunk()
            if let position { writer.note(.opaque(position)) }
        }
    }

    /// Whether `append` would go ahead now, without waiting for a slow sink (no sink of
    /// the topic is more than its `max_lag` behind, or the run stops). A source that can
    /// tell its client to come back later (HTTP 429) asks this instead of waiting.
    public var hasRoom: Bool { writer.hasRoom() }

    /// Waits until everything appended (and dead-lettered) is in the log, and
    /// checkpoints once a second.
    public func flush() throws {
        try deadLetters.flush()
        try writer.flush()
    }

    /// Sends a record the source cannot append (too long, undecodable) to the pipeline's
    /// dead-letter topic with the reason.
    public func deadLetter(_ value: [UInt8], reason: String) {
        value.withUnsafeBytes { deadLetters.add($0, reason: reason, component: options.id) }
    }
}

/// One record a source appends.
public struct SourceRecord: Sendable {
    public var key: [UInt8]?
    public var value: [UInt8]
    /// Milliseconds since the epoch; now when nil.
    public var timestamp: Int64?
    public var headers: [RecordHeader]

    public init(key: [UInt8]? = nil, value: [UInt8], timestamp: Int64? = nil, headers: [RecordHeader] = []) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
    }
}
