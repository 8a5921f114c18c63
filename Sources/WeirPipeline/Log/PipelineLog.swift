import Logging
package import WeirLog

/// The log a pipeline runs on: the embedded log in the data directory (`EmbeddedLog`), or
/// a Kafka cluster (`ClusterLog`, `weir run --bootstrap`). The runner reaches topics,
/// appends, positions, groups and commits only through this, so sources, transforms,
/// sinks and plugins run unchanged on either.
package protocol PipelineLog: AnyObject, Sendable {
    /// Where the runner keeps its checkpoints: on this host, whichever log it runs on.
    var directory: String { get }
    /// A cluster: other runners write and read its topics, so a pipeline without sources
    /// follows them until stopped (or `--once`) rather than ending once it caught up.
    var isCluster: Bool { get }
    /// Creates each declared topic that does not exist and checks those that do (a
    /// partition count that differs is an error, before anything runs).
    func prepare(topics: [String: TopicConfig]) throws
    /// How many partitions `topic` has; an error when it does not exist.
    func partitionCount(of topic: String) throws -> Int
    /// A writer into `topic`, which must exist (or is created with `creating`). A source's
    /// (`chunks`) ends every chunk itself; others' records are batched as they come.
    func appender(to topic: String, creating: TopicConfig?, chunks: Bool) throws -> any LogAppender
    /// Every position `source` appended to `topic` at or after `scanFrom` (per partition;
    /// nil: from each partition's start), and each partition's end.
    func positions(of source: String, in topic: String, from scanFrom: [Int64]?) throws -> (found: [SourcePosition], ends: [Int64])
    /// The name a source's positions go under (`<pipeline>.<source>`, and on a cluster the
    /// runner's id: each host reads files of its own).
    func positionOwner(_ source: String) -> String
    /// The runner of one sink: its group members carry the topics through the transforms
    /// into the output and commit.
    func sinkRunner(_ setup: SinkRunnerSetup) throws -> any SinkRunning
}

/// Appends records in chunks. A chunk (records sent to one partition, then `endBatch`) is
/// one batch: after a crash the log holds all of it or none. For one thread at a time.
package protocol LogAppender: AnyObject {
    var partitionCount: Int { get }
    /// Queues one record; `partition` nil lets the partitioner choose (keyed records by
    /// murmur2 of the key, as Kafka's clients do).
    func send(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, timestamp: Int64, headers: [RecordHeader], partition: Int?)
        throws
    /// Queues records with no key and no headers for `partition`, one per range of
    /// `bytes` (their values), all stamped `timestamp`: a source's lines in one call.
    func send(values bytes: UnsafeRawBufferPointer, _ ranges: UnsafeBufferPointer<Range<Int>>, timestamp: Int64, partition: Int)
        throws
    /// Ends the chunk of `partition`: it is appended as one batch.
    func endBatch(partition: Int) throws
    /// Appends everything queued and waits for the log to acknowledge it.
    func flush() throws
    /// After `flush`: per partition, an offset at or after which everything this appender
    /// appends from now on lands (where a later scan for positions may start).
    func scanMarks() throws -> [Int64]
}

extension LogAppender {
    /// One `send` per record.
    func send(values bytes: UnsafeRawBufferPointer, _ ranges: UnsafeBufferPointer<Range<Int>>, timestamp: Int64, partition: Int)
        throws
    {
        for range in ranges {
            try send(
                key: nil, value: UnsafeRawBufferPointer(rebasing: bytes[range]), timestamp: timestamp, headers: [], partition: partition)
        }
    }

    func send(_ record: Record, partition: Int? = nil) throws {
        try withOptionalBytes(record.key) { key in
            try withOptionalBytes(record.value) { value in
                try send(key: key, value: value, timestamp: record.timestamp, headers: record.headers, partition: partition)
            }
        }
    }
}

/// What a log needs to run one sink.
package struct SinkRunnerSetup {
    let pipeline: PipelineDefinition
    let sink: ComponentDefinition
    let checkpointDirectory: String
    let lines: any LineWriter
    let deadLetters: DeadLetters
    let stats: ComponentStats
    let abort: StopFlag
    let logger: Logger
    let registry: ComponentRegistry
    let transformStats: [String: ComponentStats]
}

/// One sink's run, as the pipeline runner sees it.
package protocol SinkRunning: AnyObject, Sendable {
    var sink: ComponentDefinition { get }
    var stats: ComponentStats { get }
    /// The topics it reads.
    var inputTopics: [String] { get }
    /// Sources writing its topics wait while its lag is above this (`max_lag`; the
    /// embedded log only: a cluster's retention is the cluster's).
    var maxLag: Int64 { get }
    /// Fires when it writes a batch (its lag drops).
    var moved: ChangeSignal { get }
    /// Records of `topic` (every input topic when nil) appended but not yet written.
    func lag(of topic: String?) -> Int64
    /// Each partition it reads now, with the next offset its last durable commit has and
    /// the partition's end.
    func committedOffsets() -> [(topic: String, partition: Int, offset: Int64, end: Int64)]
    /// Runs until `finish` is set and everything there was then is written (or `abort`).
    func run(finish: StopFlag, abort: StopFlag) throws
}
