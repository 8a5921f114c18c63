import Foundation
import Logging
public import WeirLog
import WeirValues

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
    /// `write`, told which input the batch is of and the offset after it: an output that
    /// keeps its own offsets (`outputOffsets`) stores `next` for `input` with the records,
    /// atomically. The others write as `write` does.
    func write(_ records: [PipelineRecord], input: TopicPartition, next: Int64, checkpoint: inout SinkCheckpoint) throws
    /// The next offset of every input partition, as the output itself holds them (the
    /// postgres sink's offsets table, committed in the same transaction as its rows), read
    /// when it was made; nil for outputs that keep none. When set, they are the whole
    /// truth of where the run starts: the checkpoint's offsets and the group's are not read.
    var outputOffsets: [TopicPartition: Int64]? { get }
    func syncWork() -> SyncWork
    func close()
    /// Its checkpoint's offsets are the whole truth of where it got to (the file sink's
    /// output starts empty with them), so the group's offsets are never read, even for a
    /// partition the checkpoint lacks (and `weir groups reset-offsets` refuses to move them).
    var offsetsOnlyInCheckpoint: Bool { get }
    /// Several members may call `write` at the same time (it has no `syncWork` and
    /// leaves `checkpoint` alone).
    var writesConcurrently: Bool { get }
    /// The most records a batch read for it holds (nil: the runner's 4,000): an output
    /// paying a fixed cost per batch (a database's transaction and its fsync) asks for more.
    var batchRecords: Int? { get }
    /// `write` mostly waits for a server (a database storing the rows): a member then
    /// transforms its next batch while it writes this one, when its transforms keep no
    /// state (a transformed batch the member does not take is dropped, as a prefetched
    /// one is, and read and transformed again).
    var waitsOnServer: Bool { get }
}

/// The durable half of a commit, run without the output's lock.
public typealias SyncWork = () throws -> Void

extension SinkOutput {
    /// Outputs that are done when `write` returns.
    public func syncWork() -> SyncWork { {} }
    public func close() {}
    public var offsetsOnlyInCheckpoint: Bool { false }
    public var writesConcurrently: Bool { false }
    public var outputOffsets: [TopicPartition: Int64]? { nil }
    public var batchRecords: Int? { nil }
    public var waitsOnServer: Bool { false }
    public func write(_ records: [PipelineRecord], input: TopicPartition, next: Int64, checkpoint: inout SinkCheckpoint) throws {
        try write(records, checkpoint: &checkpoint)
    }
}
