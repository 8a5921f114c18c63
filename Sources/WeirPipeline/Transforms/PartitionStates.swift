import Synchronization
import WeirLog

/// The state a `StatefulTransform` keeps per input partition. Only the member holding a
/// partition touches its state: a batch takes it out, works on it unlocked, and puts it
/// back, so members of different partitions never wait on each other's work.
final class PartitionStates<State: Sendable>: Sendable {
    private let states = Mutex<[TopicPartition: State]>([:])

    /// Runs `body` on the state of `partition` (`empty` when it has none), then keeps it.
    func update<Result>(_ partition: TopicPartition, empty: () -> State, _ body: (inout State) -> Result) -> Result {
        var state = states.withLock { $0.removeValue(forKey: partition) } ?? empty()
        defer { states.withLock { [state] in $0[partition] = state } }
        return body(&state)
    }

    subscript(partition: TopicPartition) -> State? {
        get { states.withLock { $0[partition] } }
        set { states.withLock { $0[partition] = newValue } }
    }

    /// Every partition's state, by topic and partition, and none kept.
    func removeAll() -> [State] {
        states.withLock { states in
            defer { states.removeAll() }
            return states.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }.map(\.value)
        }
    }
}
