/// One consumer group as the coordinator holds it: members, generation, phase and who
/// owns which partition.
struct GroupState {
    struct Member {
        var topics: Set<String>
        var lastHeartbeat: Int64
        var sessionTimeoutMs: Int64
        /// Set for a Kafka client; nil for a member inside this process.
        var remote: RemoteMember?
    }

    /// What the classic Kafka group protocol keeps of a client member.
    struct RemoteMember {
        /// Protocol names in the client's order of preference, with its metadata for each
        /// (for consumers: the subscription, relayed unread to the leader).
        var protocols: [(name: String, metadata: [UInt8])]
        var rebalanceTimeoutMs: Int64
        var clientID: String
        var clientHost: String
        var instanceID: String?
        /// Whether it joined in the rebalance under way.
        var rejoined = false
        /// What it gets at SyncGroup in this generation.
        var assignment: RemoteAssignment?
    }

    enum Phase: Equatable {
        /// Members hold their assignment.
        case stable
        /// Waiting until every remote member has rejoined, or the deadline (ms) passes.
        case preparingRebalance(deadline: Int64)
        /// Waiting for the leader's SyncGroup with everyone's assignment.
        case completingRebalance(deadline: Int64)
    }

    var generation = 0
    var strategy: AssignmentStrategy
    var members: [String: Member] = [:]
    var partitionCounts: [String: Int] = [:]
    var assignment: [String: [TopicPartition]] = [:]
    var phase = Phase.stable
    /// The remote members' protocol type ("consumer" for consumers).
    var protocolType: String?
    /// The protocol chosen for the current generation.
    var protocolName: String?
    var leader: String?
    /// Member ids handed out with MEMBER_ID_REQUIRED, not yet joined with.
    var pendingMemberIDs: Set<String> = []
    /// The order remote members joined in this rebalance (the first still here leads).
    var joinOrder: [String] = []

    init(strategy: AssignmentStrategy) {
        self.strategy = strategy
    }

    var hasRemoteMembers: Bool { members.values.contains { $0.remote != nil } }
    var hasLocalMembers: Bool { members.values.contains { $0.remote == nil } }
}

/// What a Kafka client member receives at SyncGroup: the leader's bytes, relayed as they
/// came, or partitions this coordinator assigned (when the group also has members inside
/// this process, whose assignor the coordinator runs for everyone).
public enum RemoteAssignment: Sendable, Equatable {
    case relayed([UInt8])
    case assigned([TopicPartition])
}
