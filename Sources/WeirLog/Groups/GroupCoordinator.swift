import Synchronization

/// Consumer groups for members inside this process: join, heartbeat, leave, session
/// expiry, generations and partition assignment, and the committed offsets.
///
/// Each membership change starts a new generation with a fresh assignment. Members learn
/// of it from `heartbeat`; a commit from an older generation, from an unknown member, or
/// for a partition the member does not own is rejected, so two members never both
/// commit one partition.
///
/// Members may also be Kafka clients (`joinRemote`): a group with one then rebalances as
/// Kafka's classic protocol does, with a barrier that waits for every remote member to
/// rejoin (`GroupCoordinator+Remote.swift`).
public final class GroupCoordinator: Sendable {
    private let store: OffsetStore
    let groups = Mutex<[String: GroupState]>([:])
    let now: @Sendable () -> Int64
    /// Fires on every change of any group's membership or phase: remote joins and syncs wait on it.
    public let changed = ChangeSignal()
    private let memberCounter = Mutex<Int>(0)

    /// - Parameter now: the clock for session expiry, in milliseconds (tests pass their own).
    init(store: OffsetStore, now: @escaping @Sendable () -> Int64 = currentTimeMillis) {
        self.store = store
        self.now = now
    }

    /// A coordinator over the offsets in `directory`, for tests that drive the clock.
    public static func forTesting(directory: String, now: @escaping @Sendable () -> Int64) throws -> GroupCoordinator {
        try FileSystem.createDirectories(directory)
        return GroupCoordinator(store: try OffsetStore(directory: directory), now: now)
    }

    /// Joins (or rejoins, with `memberID`) a group; the group moves to a new generation
    /// and every member's assignment is recomputed with the group's strategy.
    ///
    /// - Parameter rebalanceTimeoutMs: given by a member that hands its partitions over when
    ///   the group rebalances: once it has taken an assignment (`heartbeat`), a rebalance
    ///   tells it `mustRelease` and waits, up to this long, for it to stop reading them and
    ///   call `release`. Without it the member keeps what it holds while it is in the group.
    public func join(
        group: String,
        memberID: String? = nil,
        topics: Set<String>,
        partitionCounts: [String: Int],
        strategy: AssignmentStrategy = .range,
        sessionTimeoutMs: Int64 = 10_000,
        rebalanceTimeoutMs: Int64? = nil
    ) throws -> GroupMembership {
        try OffsetStore.validate(group: group)
        let id = memberID ?? newMemberID(group)
        let joined = groups.withLock { groups in
            var state = groups[group] ?? GroupState(strategy: strategy)
            expire(&state)
            // The first member of an empty group chooses the assignor.
            if state.members.isEmpty { state.strategy = strategy }
            state.members[id] = GroupState.Member(
                topics: topics, lastHeartbeat: now(), sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutMs)
            state.partitionCounts.merge(partitionCounts) { $1 }
            rebalance(&state)
            groups[group] = state
            return (membership(group, id, state), state.phase == .stable)
        }
        if joined.1 { return joined.0 }
        return try waitForRemoteMembers(group: group, memberID: id)
    }

    /// In a group with Kafka clients (or members that hand partitions over), a member from
    /// inside this process joins once they have all rejoined or released (or their rebalance
    /// timeout passed): they first give up what they held, so no partition is read by two
    /// members at once.
    private func waitForRemoteMembers(group: String, memberID: String) throws -> GroupMembership {
        try waitForStable(group: group, memberID: memberID, taking: false, giveUp: { false })!
    }

    /// Waits until the group is stable and returns the member's membership, marking it
    /// taken when `taking`; nil when `giveUp` said so first (checked at least once a second).
    private func waitForStable(group: String, memberID: String, taking: Bool, giveUp: () -> Bool) throws -> GroupMembership? {
        while true {
            let mark = changed.mark()
            let result = try groups.withLock { groups -> (GroupMembership?, Int64?) in
                guard var state = groups[group] else { throw WeirLogError.unknownGroupMember(group: group, member: memberID) }
                advance(&state)
                defer { groups[group] = state }
                guard state.members[memberID] != nil else { throw WeirLogError.unknownGroupMember(group: group, member: memberID) }
                state.members[memberID]!.lastHeartbeat = now()
                switch state.phase {
                case .preparingRebalance(let deadline), .completingRebalance(let deadline): return (nil, deadline)
                case .stable:
                    if taking { state.members[memberID]!.takenGeneration = state.generation }
                    return (membership(group, memberID, state), nil)
                }
            }
            if let membership = result.0 { return membership }
            if giveUp() { return nil }
            let wait = min(1000, max(1, (result.1 ?? now()) - now() + 1))
            ChangeSignal.wait(for: [mark], until: .now + .milliseconds(wait))
        }
    }

    /// Keeps a member alive and tells it the current generation and its assignment,
    /// which differ from what it holds when the group rebalanced. A member that hands its
    /// partitions over takes the assignment it is told, unless it `mustRelease` what it holds.
    public func heartbeat(group: String, memberID: String) throws -> GroupMembership {
        try groups.withLock { groups in
            guard var state = groups[group] else { throw WeirLogError.unknownGroupMember(group: group, member: memberID) }
            expire(&state)
            guard state.members[memberID] != nil else {
                groups[group] = state
                throw WeirLogError.unknownGroupMember(group: group, member: memberID)
            }
            state.members[memberID]!.lastHeartbeat = now()
            var answer = membership(group, memberID, state)
            if state.members[memberID]!.rebalanceTimeoutMs != nil, !answer.mustRelease {
                if state.phase == .stable {
                    state.members[memberID]!.takenGeneration = state.generation
                } else if state.members[memberID]!.takenGeneration != state.generation {
                    // A rebalance that did not wait for it (it held nothing when it began) may
                    // give this generation's partitions to others: it takes the next one instead.
                    answer.mustRelease = true
                }
            }
            groups[group] = state
            return answer
        }
    }

    /// A member told `mustRelease` has stopped reading its partitions and committed where
    /// it is: the rebalance may go on without it. Waits until the group is stable again and
    /// returns the partitions the member takes now; nil if `giveUp` returned true first
    /// (the member then holds nothing).
    public func release(group: String, memberID: String, giveUp: () -> Bool) throws -> GroupMembership? {
        try groups.withLock { groups in
            guard var state = groups[group], state.members[memberID] != nil else {
                throw WeirLogError.unknownGroupMember(group: group, member: memberID)
            }
            state.members[memberID]!.mustRelease = false
            state.members[memberID]!.takenGeneration = nil
            advance(&state)
            groups[group] = state
            changed.signal()
        }
        return try waitForStable(group: group, memberID: memberID, taking: true, giveUp: giveUp)
    }

    /// Leaves the group; the others get its partitions in the next generation.
    public func leave(group: String, memberID: String) {
        groups.withLock { groups in
            guard var state = groups[group], state.members.removeValue(forKey: memberID) != nil else { return }
            rebalance(&state)
            groups[group] = state
        }
    }

    /// Commits offsets ("next offset to read") for partitions the member owns in the
    /// current generation, each with the client's `metadata` where given. Without a member
    /// (`memberID == nil`), as Kafka's standalone consumers do, a commit is accepted only
    /// while the group has no members.
    public func commit(
        group: String, memberID: String?, generation: Int?, offsets: [TopicPartition: Int64], metadata: [TopicPartition: String] = [:]
    ) throws {
        try groups.withLock { groups in
            var state = groups[group] ?? GroupState(strategy: .range)
            expire(&state)
            groups[group] = state
            if let memberID {
                guard state.members[memberID] != nil else {
                    throw WeirLogError.unknownGroupMember(group: group, member: memberID)
                }
                guard generation == state.generation else {
                    throw WeirLogError.staleGeneration(
                        group: group, member: memberID, generation: generation ?? -1, current: state.generation)
                }
                // Members inside this process commit only what they own. Kafka clients are held to
                // generations only, as Kafka holds them: their assignors are theirs.
                let owned = Set(state.assignment[memberID] ?? [])
                for key in offsets.keys where state.members[memberID]?.remote == nil && !owned.contains(key) {
                    throw WeirLogError.partitionNotAssigned(group: group, member: memberID, topic: key.topic, partition: key.partition)
                }
            } else if !state.members.isEmpty {
                throw WeirLogError.groupHasActiveMembers(group)
            }
            try store.commit(group: group, offsets: offsets, metadata: metadata)
            // As in Kafka, an accepted commit also shows the member is alive.
            if let memberID { state.members[memberID]?.lastHeartbeat = now() }
            groups[group] = state
        }
    }

    /// Overwrites committed offsets; refused while the group has active members.
    public func resetOffsets(group: String, offsets: [TopicPartition: Int64]) throws {
        try commit(group: group, memberID: nil, generation: nil, offsets: offsets)
    }

    public func committedOffsets(group: String) -> [TopicPartition: Int64] {
        store.offsets(group: group)
    }

    /// The offsets with the metadata committed beside them (partitions without any are
    /// absent), as of one moment.
    public func committedWithMetadata(group: String) -> (offsets: [TopicPartition: Int64], metadata: [TopicPartition: String]) {
        store.committed(group: group)
    }

    /// Every group with committed offsets or live members.
    public var groupNames: [String] {
        let active = groups.withLock { $0.filter { !$0.value.members.isEmpty }.keys }
        return Set(store.all().keys).union(active).sorted()
    }

    /// The topics the group's live members read.
    public func subscribedTopics(group: String) -> Set<String> {
        groups.withLock { groups in
            guard var state = groups[group] else { return [] }
            expire(&state)
            groups[group] = state
            return state.members.values.reduce(into: Set<String>()) { $0.formUnion($1.topics) }
        }
    }

    /// The live members of a group and what each owns.
    public func members(group: String) -> [String: [TopicPartition]] {
        groups.withLock { groups in
            guard var state = groups[group] else { return [:] }
            expire(&state)
            groups[group] = state
            return state.assignment
        }
    }

    /// Every live member's id (only the Kafka clients' with `remoteOnly`).
    public func memberIDs(group: String, remoteOnly: Bool = false) -> [String] {
        groups.withLock { groups in
            guard var state = groups[group] else { return [] }
            expire(&state)
            groups[group] = state
            return state.members.filter { !remoteOnly || $0.value.remote != nil }.keys.sorted()
        }
    }

    /// Deletes a group's committed offsets; refused while it has members.
    public func deleteGroup(_ group: String) throws {
        try groups.withLock { groups in
            if var state = groups[group] {
                expire(&state)
                groups[group] = state
                guard state.members.isEmpty else { throw WeirLogError.groupHasActiveMembers(group) }
            }
            guard store.all()[group] != nil || groups[group] != nil else { throw WeirLogError.unknownGroup(group) }
            try store.delete(group: group)
            groups.removeValue(forKey: group)
        }
    }

    public func generation(group: String) -> Int {
        groups.withLock { $0[group]?.generation ?? 0 }
    }

    func forgetTopic(_ topic: String) throws {
        try store.forget(topic: topic)
        groups.withLock { groups in
            for name in groups.keys {
                guard groups[name]!.partitionCounts.removeValue(forKey: topic) != nil else { continue }
                rebalance(&groups[name]!)
            }
        }
    }

    // MARK: Internals

    func newMemberID(_ group: String) -> String {
        let n = memberCounter.withLock { counter -> Int in
            counter += 1
            return counter
        }
        return "\(group)-member-\(n)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
    }

    func expire(_ state: inout GroupState) {
        let time = now()
        let expired = state.members.filter { time - $0.value.lastHeartbeat > $0.value.sessionTimeoutMs }.keys
        guard !expired.isEmpty else { return }
        for id in expired { state.members.removeValue(forKey: id) }
        rebalance(&state)
    }

    /// A membership change. A group of local members that keep what they hold moves to the
    /// next generation at once; one with Kafka clients starts a rebalance they must all
    /// rejoin first, and one with members that hand partitions over waits for them to
    /// release what they hold.
    func rebalance(_ state: inout GroupState) {
        defer { changed.signal() }
        if state.hasRemoteMembers || state.members.keys.contains(where: state.handsOver) {
            startRebalance(&state)
            advance(&state)
            return
        }
        state.phase = .stable
        assignLocally(&state)
    }

    /// The next generation, with every member's partitions computed here by the group's assignor.
    func assignLocally(_ state: inout GroupState) {
        state.generation += 1
        state.assignment = state.strategy.assignor.assign(
            subscriptions: state.members.mapValues(\.topics),
            partitionCounts: state.partitionCounts,
            previous: state.assignment
        )
    }

    func membership(_ group: String, _ id: String, _ state: GroupState) -> GroupMembership {
        GroupMembership(
            group: group, memberID: id, generation: state.generation, assignment: state.assignment[id] ?? [],
            mustRelease: state.members[id]?.mustRelease ?? false)
    }
}

/// A member's view of its group in one generation.
public struct GroupMembership: Sendable, Hashable {
    public var group: String
    public var memberID: String
    public var generation: Int
    public var assignment: [TopicPartition]
    /// The group is rebalancing and waits for this member to stop reading `assignment`,
    /// commit, and call `release` (only for members that hand partitions over).
    public var mustRelease = false
}
