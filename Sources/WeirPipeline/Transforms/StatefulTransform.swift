public import WeirLog

/// A transform that remembers across batches (`aggregate`): its state is kept per input
/// partition, and a sink commits each partition's state in the same checkpoint as the
/// partition's next offset, so a restart after `kill -9` resumes state and offsets from the
/// same commit and the output is what an uninterrupted run gives.
///
/// The state of a partition depends only on the partition's records in order, never on
/// how they were cut into batches, nor on the clock: that is what makes it replayable.
public protocol StatefulTransform: RecordTransform {
    /// `batch`, read from `partition` (directly or through the transforms before this one),
    /// with that partition's state.
    func process(_ batch: consuming [PipelineRecord], from partition: TopicPartition) -> TransformResult
    /// The partition's state as it is now, for the checkpoint; nil when it holds nothing.
    func snapshot(_ partition: TopicPartition) -> [UInt8]?
    /// Replaces the partition's state with a snapshot (nil: empty), when a member takes it.
    func restore(_ partition: TopicPartition, from snapshot: [UInt8]?) throws
    /// Emits everything still open as if the input had ended (`weir test`, which has no
    /// later records to close windows with), and forgets it.
    func flush() -> TransformResult
}

extension StatefulTransform {
    /// A batch of no partition of its own (a unit's input): the state of partition 0 of
    /// the topic "".
    public func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        process(batch, from: TopicPartition(topic: "", partition: 0))
    }
}
