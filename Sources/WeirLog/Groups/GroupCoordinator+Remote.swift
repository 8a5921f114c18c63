import Synchronization

/// Kafka's classic group protocol for members that are Kafka clients.
///
/// A change of membership starts a rebalance: remote members learn of it from Heartbeat
/// (REBALANCE_IN_PROGRESS) and rejoin; the join completes when every remote member has
/// rejoined or the largest rebalance timeout passed (those missing are dropped). The
/// generation then moves on, and the leader (the first remote member to join) gets
/// every member's metadata. In a group of Kafka clients only, the leader's SyncGroup
/// assignment is relayed to each member unread (clients run the assignors, as in Kafka).
/// When the group also has members inside this process, the coordinator assigns every
/// member with the chosen protocol's assignor itself (range, roundrobin, sticky;
/// cooperative-sticky as sticky), and each client receives its partitions.
///
/// These calls never wait: the Kafka listener waits on `changed` between them.
extension GroupCoordinator {
    /// The protocols a group of members inside this process and Kafka clients can share.
    /// Not `cooperative-sticky`: its clients go on reading what they own while they rejoin,
    /// so a partition moving to a member inside would be read by both for a while.
    static let sharedProtocols: [String: AssignmentStrategy] = [
        "range": .range, "roundrobin": .roundrobin, "sticky": .sticky,
    ]

    public struct JoinRequest: Sendable {
        public var group: String
        /// nil or "" for a first join.
        public var memberID: String?
        public var instanceID: String?
        public var protocolType: String
        public var protocols: [(name: String, metadata: [UInt8])]
        /// The topics the member subscribes to (decoded from its metadata by the listener).
        public var topics: Set<String>
        public var partitionCounts: [String: Int]
        public var sessionTimeoutMs: Int64
        public var rebalanceTimeoutMs: Int64
        public var clientID: String
        public var clientHost: String
        /// Kafka's JoinGroup v4+: a first join gets an id and MEMBER_ID_REQUIRED, and must
        /// join again with it.
        public var requireKnownMemberID: Bool

        public init(
            group: String, memberID: String?, instanceID: String?, protocolType: String,
            protocols: [(name: String, metadata: [UInt8])], topics: Set<String>, partitionCounts: [String: Int],
            sessionTimeoutMs: Int64, rebalanceTimeoutMs: Int64, clientID: String, clientHost: String, requireKnownMemberID: Bool
        ) {
            self.group = group
            self.memberID = memberID
            self.instanceID = instanceID
            self.protocolType = protocolType
            self.protocols = protocols
            self.topics = topics
            self.partitionCounts = partitionCounts
            self.sessionTimeoutMs = sessionTimeoutMs
            self.rebalanceTimeoutMs = rebalanceTimeoutMs
            self.clientID = clientID
            self.clientHost = clientHost
            self.requireKnownMemberID = requireKnownMemberID
        }
    }

    public enum RemoteGroupError: Error, Equatable {
        /// A first join under JoinGroup v4+: join again with this id.
        case memberIDRequired(String)
        case unknownMember
        case illegalGeneration
        case rebalanceInProgress
        case inconsistentProtocol
    }

    /// What a completed join tells a member.
    public struct JoinOutcome: Sendable {
        public var generation: Int
        public var protocolType: String?
        public var protocolName: String?
        public var leader: String
        public var memberID: String
        /// For the leader: every remote member's id, instance id and metadata for the chosen protocol.
        public var members: [(memberID: String, instanceID: String?, metadata: [UInt8])]
    }

    /// Registers a join (or rejoin) and starts a rebalance; returns the member's id. The
    /// caller then waits for `joinOutcome` to answer.
    public func joinRemote(_ request: JoinRequest) throws -> String {
        try OffsetStore.validate(group: request.group)
        return try groups.withLock { groups in
            var state = groups[request.group] ?? GroupState(strategy: .range)
            expire(&state)
            defer { groups[request.group] = state }
            var id = request.memberID ?? ""
            if id.isEmpty {
                id = newMemberID(request.group)
                if request.requireKnownMemberID {
                    state.pendingMemberIDs.insert(id)
                    throw RemoteGroupError.memberIDRequired(id)
                }
            } else if state.members[id].map({ $0.remote == nil }) ?? !state.pendingMemberIDs.contains(id) {
                // Unknown, or a member inside this process: a client cannot join as one.
                throw RemoteGroupError.unknownMember
            }
            // Kafka clients of one group speak one protocol type and share a protocol.
            let othersRemote = state.members.contains { $0.key != id && $0.value.remote != nil }
            if othersRemote, state.protocolType != request.protocolType || !sharesProtocol(state, request.protocols.map(\.name), except: id)
            {
                throw RemoteGroupError.inconsistentProtocol
            }
            state.pendingMemberIDs.remove(id)
            // A member already in a rebalance under way only refreshes its metadata; anything
            // else (a new member, a stable group) starts one, before this member counts as joined.
            let inRebalance: Bool
            if case .preparingRebalance = state.phase { inRebalance = true } else { inRebalance = false }
            if !(inRebalance && state.members[id]?.remote != nil) { startRebalance(&state) }
            var remote = GroupState.RemoteMember(
                protocols: request.protocols, rebalanceTimeoutMs: request.rebalanceTimeoutMs, clientID: request.clientID,
                clientHost: request.clientHost, instanceID: request.instanceID)
            remote.rejoined = true
            state.members[id] = GroupState.Member(
                topics: request.topics, lastHeartbeat: now(), sessionTimeoutMs: request.sessionTimeoutMs, remote: remote)
            state.protocolType = request.protocolType
            state.partitionCounts.merge(request.partitionCounts) { $1 }
            if !state.joinOrder.contains(id) { state.joinOrder.append(id) }
            advance(&state)
            changed.signal()
            return id
        }
    }

    /// The member's join result once the rebalance completed; nil while it is still under
    /// way (wait on `changed`, at most until `nextDeadline`).
    public func joinOutcome(group: String, memberID: String) throws -> JoinOutcome? {
        try groups.withLock { groups in
            guard var state = groups[group] else { throw RemoteGroupError.unknownMember }
            // A member waiting in JoinGroup is alive (it cannot heartbeat meanwhile), and has
            // joined any rebalance that started since it asked.
            state.members[memberID]?.lastHeartbeat = now()
            if case .preparingRebalance = state.phase, state.members[memberID]?.remote != nil {
                state.members[memberID]!.remote!.rejoined = true
                if !state.joinOrder.contains(memberID) { state.joinOrder.append(memberID) }
            }
            advance(&state)
            groups[group] = state
            guard let member = state.members[memberID], member.remote != nil else { throw RemoteGroupError.unknownMember }
            if case .preparingRebalance = state.phase { return nil }
            guard let leader = state.leader else { throw RemoteGroupError.unknownMember }
            let members =
                memberID == leader
                ? state.joinOrder.compactMap { id -> (memberID: String, instanceID: String?, metadata: [UInt8])? in
                    guard let remote = state.members[id]?.remote else { return nil }
                    let metadata = remote.protocols.first { $0.name == state.protocolName }?.metadata ?? []
                    return (id, remote.instanceID, metadata)
                } : []
            return JoinOutcome(
                generation: state.generation, protocolType: state.protocolType, protocolName: state.protocolName, leader: leader,
                memberID: memberID, members: members)
        }
    }

    /// SyncGroup: the leader brings everyone's assignment (relayed to each when the group
    /// has only Kafka clients). Returns the member's assignment, or nil while the leader's
    /// has not arrived (wait on `changed`).
    public func syncRemote(
        group: String, memberID: String, generation: Int, assignments: [String: [UInt8]]?, decode: ([UInt8]) -> [TopicPartition]?
    )
        throws -> RemoteAssignment?
    {
        try groups.withLock { groups in
            guard var state = groups[group] else { throw RemoteGroupError.unknownMember }
            advance(&state)
            defer { groups[group] = state }
            guard let member = state.members[memberID], member.remote != nil else { throw RemoteGroupError.unknownMember }
            state.members[memberID]!.lastHeartbeat = now()
            guard generation == state.generation else { throw RemoteGroupError.illegalGeneration }
            switch state.phase {
            case .preparingRebalance:
                throw RemoteGroupError.rebalanceInProgress
            case .completingRebalance:
                guard memberID == state.leader, let assignments else { return nil }
                var owned: [String: [TopicPartition]] = [:]
                for id in state.members.keys {
                    let bytes = assignments[id] ?? []
                    state.members[id]!.remote?.assignment = .relayed(bytes)
                    owned[id] = decode(bytes) ?? []
                }
                state.assignment = owned
                state.phase = .stable
                changed.signal()
                return state.members[memberID]!.remote?.assignment
            case .stable:
                return state.members[memberID]!.remote?.assignment ?? .assigned(state.assignment[memberID] ?? [])
            }
        }
    }

    /// Heartbeat from a Kafka client: REBALANCE_IN_PROGRESS tells it to rejoin.
    public func heartbeatRemote(group: String, memberID: String, generation: Int) throws {
        try groups.withLock { groups in
            guard var state = groups[group] else { throw RemoteGroupError.unknownMember }
            advance(&state)
            defer { groups[group] = state }
            guard state.members[memberID] != nil else { throw RemoteGroupError.unknownMember }
            state.members[memberID]!.lastHeartbeat = now()
            if case .preparingRebalance = state.phase { throw RemoteGroupError.rebalanceInProgress }
            guard generation == state.generation else { throw RemoteGroupError.illegalGeneration }
        }
    }

    /// When the phase under way ends at the latest (ms), for waits.
    public func phaseDeadline(group: String) -> Int64? {
        groups.withLock { groups in
            switch groups[group]?.phase {
            case .preparingRebalance(let deadline), .completingRebalance(let deadline): deadline
            default: nil
            }
        }
    }

    /// The chosen protocol, the leader and each member's client id, host and assignment (for DescribeGroups).
    public func describeRemote(group: String) -> RemoteGroupDescription? {
        groups.withLock { groups in
            guard var state = groups[group] else { return nil }
            expire(&state)
            groups[group] = state
            let phase: String
            switch state.phase {
            case .stable: phase = state.members.isEmpty ? "Empty" : "Stable"
            case .preparingRebalance: phase = "PreparingRebalance"
            case .completingRebalance: phase = "CompletingRebalance"
            }
            let members = state.members.keys.sorted().map { id -> RemoteGroupDescription.Member in
                let member = state.members[id]!
                return RemoteGroupDescription.Member(
                    memberID: id, instanceID: member.remote?.instanceID, clientID: member.remote?.clientID ?? "weir",
                    clientHost: member.remote?.clientHost ?? "in-process",
                    metadata: member.remote?.protocols.first { $0.name == state.protocolName }?.metadata ?? [],
                    assignment: member.remote?.assignment ?? .assigned(state.assignment[id] ?? []))
            }
            return RemoteGroupDescription(
                state: phase, protocolType: state.protocolType ?? (state.members.isEmpty ? "" : "consumer"),
                protocol: state.protocolName ?? (state.members.isEmpty ? "" : state.strategy.rawValue), members: members)
        }
    }

    // MARK: The state machine

    func startRebalance(_ state: inout GroupState) {
        if case .preparingRebalance = state.phase { return }
        let releasing = state.members.keys.filter(state.handsOver)
        let timeout =
            (state.members.values.compactMap { $0.remote?.rebalanceTimeoutMs }
            + releasing.compactMap { state.members[$0]!.rebalanceTimeoutMs }).max() ?? 0
        state.phase = .preparingRebalance(deadline: now() + timeout)
        for id in state.members.keys where state.members[id]!.remote != nil {
            state.members[id]!.remote!.rejoined = false
            state.members[id]!.remote!.assignment = nil
        }
        for id in releasing { state.members[id]!.mustRelease = true }
        state.joinOrder.removeAll()
    }

    /// Completes a rebalance whose members have all rejoined or whose time is up; gives
    /// up a sync whose leader never came.
    func advance(_ state: inout GroupState) {
        expire(&state)
        let time = now()
        switch state.phase {
        case .stable:
            return
        case .completingRebalance(let deadline):
            guard time > deadline else { return }
            // The leader never synced: start over without it.
            if let leader = state.leader { state.members.removeValue(forKey: leader) }
            state.phase = .stable
            rebalance(&state)
        case .preparingRebalance(let deadline):
            let waiting = state.members.filter { $0.value.remote.map { !$0.rejoined } ?? false }.keys
            let releasing = state.members.values.contains { $0.mustRelease }
            guard (waiting.isEmpty && !releasing) || time > deadline else { return }
            // Clients that did not rejoin in time are dropped; members inside this process
            // that did not release in time keep what they hold.
            for id in waiting { state.members.removeValue(forKey: id) }
            completeJoin(&state)
        }
        changed.signal()
    }

    private func completeJoin(_ state: inout GroupState) {
        guard state.hasRemoteMembers else {
            state.phase = .stable
            state.protocolName = nil
            state.leader = nil
            assignInProcess(&state)
            return
        }
        state.joinOrder.removeAll { state.members[$0]?.remote == nil }
        let remoteIDs = state.joinOrder
        if state.leader.map({ !remoteIDs.contains($0) }) ?? true { state.leader = remoteIDs.first }
        let candidates = state.members[state.leader!]!.remote!.protocols.map(\.name)
        state.protocolName = candidates.first { name in
            remoteIDs.allSatisfy { id in state.members[id]!.remote!.protocols.contains { $0.name == name } }
                && (!state.hasLocalMembers || Self.sharedProtocols[name] != nil)
        }
        if state.hasLocalMembers {
            // The coordinator assigns everyone: clients get their partitions at SyncGroup.
            if let name = state.protocolName, let strategy = Self.sharedProtocols[name] { state.strategy = strategy }
            assignInProcess(&state)
            for id in remoteIDs { state.members[id]!.remote!.assignment = .assigned(state.assignment[id] ?? []) }
            state.phase = .stable
        } else {
            state.generation += 1
            let timeout = state.members.values.compactMap { $0.remote?.rebalanceTimeoutMs }.max() ?? 0
            state.phase = .completingRebalance(deadline: now() + timeout)
        }
    }

    /// The next generation, assigned here for every member. Members inside this process
    /// that keep what they hold (`GroupState.keepers`) keep it: the assignor shares the
    /// rest when there are none, else the others take it in turn.
    private func assignInProcess(_ state: inout GroupState) {
        let keepers = state.keepers
        for id in keepers {
            state.members[id]!.mustRelease = false
        }
        guard !keepers.isEmpty else {
            assignLocally(&state)
            return
        }
        assignAroundHeldPartitions(&state, keepers: keepers)
        // They read those partitions on: the next rebalance waits for them again.
        for id in keepers where state.members[id]!.rebalanceTimeoutMs != nil {
            state.members[id]!.takenGeneration = state.generation
        }
    }

    /// The next generation: `keepers` keep the partitions they hold; every other
    /// subscribed partition goes to the members without any (Kafka clients, members that
    /// released theirs or just joined), in turn, each to one subscribed to its topic.
    private func assignAroundHeldPartitions(_ state: inout GroupState, keepers: Set<String>) {
        state.generation += 1
        var assignment: [String: [TopicPartition]] = [:]
        var held = Set<TopicPartition>()
        for id in keepers {
            let member = state.members[id]!
            let kept = (state.assignment[id] ?? []).filter {
                member.topics.contains($0.topic) && $0.partition < (state.partitionCounts[$0.topic] ?? 0)
            }
            if !kept.isEmpty {
                assignment[id] = kept
                held.formUnion(kept)
            }
        }
        let sharing = state.members.keys.filter { assignment[$0] == nil }.sorted()
        let topics = Set(state.members.values.flatMap(\.topics))
        var turn = 0
        for topic in topics.sorted() {
            for partition in 0..<(state.partitionCounts[topic] ?? 0) {
                let key = TopicPartition(topic: topic, partition: partition)
                guard !held.contains(key) else { continue }
                let candidates = sharing.filter { state.members[$0]!.topics.contains(topic) }
                guard !candidates.isEmpty else { continue }
                assignment[candidates[turn % candidates.count], default: []].append(key)
                turn += 1
            }
        }
        for id in state.members.keys where assignment[id] == nil { assignment[id] = [] }
        state.assignment = assignment
    }

    private func sharesProtocol(_ state: GroupState, _ names: [String], except id: String) -> Bool {
        let others = state.members.filter { $0.key != id && $0.value.remote != nil }.values.map { Set($0.remote!.protocols.map(\.name)) }
        let common = others.reduce(Set(names)) { $0.intersection($1) }
        let usable = state.hasLocalMembers ? common.filter { Self.sharedProtocols[$0] != nil } : common
        return !usable.isEmpty
    }
}

/// A group as DescribeGroups shows it.
public struct RemoteGroupDescription: Sendable {
    public struct Member: Sendable {
        public var memberID: String
        public var instanceID: String?
        public var clientID: String
        public var clientHost: String
        public var metadata: [UInt8]
        public var assignment: RemoteAssignment
    }

    /// Kafka's names: Empty, Stable, PreparingRebalance, CompletingRebalance.
    public var state: String
    public var protocolType: String
    public var `protocol`: String
    public var members: [Member]
}
