/// One consumer group as the coordinator holds it: members, generation, phase and who
/// owns which partition.
struct GroupState {
    struct Member {
        var topics: Set<String>
        var lastHeartbeat: Int64
        var sessionTimeoutMs: Int64
        /// Set for a Kafka client; nil for a member inside this process.
        var remote: RemoteMember?
        /// For a member inside this process that hands its partitions over when the group
        /// rebalances (a pipeline's sink): how long it may take to. Nil for one that keeps
        /// what it holds (`weir consume --group`, fenced by generations instead).
        var rebalanceTimeoutMs: Int64?
        /// The generation whose assignment it last took (`heartbeat`, `release`): it reads
        /// those partitions.
        var takenGeneration: Int?
        /// Set when a rebalance waits for it to stop reading what it holds; cleared by `release`.
        var mustRelease = false

        init(
            topics: Set<String>, lastHeartbeat: Int64, sessionTimeoutMs: Int64, remote: RemoteMember? = nil,
            rebalanceTimeoutMs: Int64? = nil
        ) {
            self.topics = topics
            self.lastHeartbeat = lastHeartbeat
            self.sessionTimeoutMs = sessionTimeoutMs
            self.remote = remote
            self.rebalanceTimeoutMs = rebalanceTimeoutMs
        }
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
        /// Waiting until every remote member has rejoined and every member inside this process
        /// that must has released its partitions, or the deadline (ms) passes.
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

    /// Whether `id` is a member inside this process that reads the partitions of the current
    /// generation and hands them over when asked: a rebalance must wait for it to release them.
    func handsOver(_ id: String) -> Bool {
        guard let member = members[id], member.remote == nil, member.rebalanceTimeoutMs != nil else { return false }
        return member.takenGeneration == generation && !(assignment[id] ?? []).isEmpty
    }

    /// Members inside this process that keep what they hold through a rebalance: those that
    /// never hand over, and those that did not release in time.
    var keepers: Set<String> {
        Set(
            members.filter { id, member in
                member.remote == nil && !(assignment[id] ?? []).isEmpty && (member.rebalanceTimeoutMs == nil || member.mustRelease)
            }.keys)
    }
}

/// What a Kafka client member receives at SyncGroup: the leader's bytes, relayed as they
/// came, or partitions this coordinator assigned (when the group also has members inside
/// this process, whose assignor the coordinator runs for everyone).
public enum RemoteAssignment: Sendable, Equatable {
    case relayed([UInt8])
    case assigned([TopicPartition])
}
