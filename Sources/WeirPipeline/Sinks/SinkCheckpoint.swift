import Foundation
import Logging
import WeirLog
import WeirValues

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
    /// The consumer group the sink reads as, for `weir groups reset-offsets`.
    var group: String?
    /// The state of each stateful transform (`aggregate`) per input partition, by
    /// transform id: committed with the partition's offset, restored with it. On disk it
    /// is in `TransformStateFiles`, the checkpoint naming its `stateSequence`.
    var state: [TopicPartition: [String: Data]]?
    var stateSequence: UInt64?
    /// On a cluster: the group commit this checkpoint waits for (see `ClusterCommit`).
    var cluster: ClusterCommit?

    mutating func setState(_ transforms: [String: Data], of partition: TopicPartition) {
        var all = state ?? [:]
        all[partition] = transforms
        state = all
    }
}
