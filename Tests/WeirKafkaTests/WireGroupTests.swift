import NIOCore
import Testing
import WeirKafka

/// Kafka's classic group protocol over the wire, as a Kafka consumer drives it: each
/// member on its own connection; JoinGroup answers only when the rebalance completes, so
/// joins that wait for others run concurrently.
@Suite struct WireGroupTests {
    static let group = "G"
    static let subscription = ConsumerProtocolSubscription(version: 0, topics: ["events"]).encoded()

    static func assignment(_ partitions: [Int32], note: String) -> ByteBuffer {
        ConsumerProtocolAssignment(assignedPartitions: [.init(topic: "events", partitions: partitions)], userData: ByteBuffer(string: note))
            .encoded()
    }

    func join(_ client: KafkaWireClient, _ memberID: String) async throws -> JoinGroupAPI.Response {
        try await client.call(
            JoinGroupAPI.self,
            JoinGroupAPI.Request(
                groupID: Self.group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberID: memberID, protocolType: "consumer",
                protocols: [.init(name: "range", metadata: Self.subscription)]),
            version: 5)
    }

    /// A first JoinGroup v5: MEMBER_ID_REQUIRED with the id to join with.
    func memberID(_ client: KafkaWireClient) async throws -> String {
        let first = try await join(client, "")
        #expect(first.errorCode == .memberIDRequired)
        #expect(!first.memberID.isEmpty)
        return first.memberID
    }

    func sync(_ client: KafkaWireClient, _ generation: Int32, _ memberID: String, _ assignments: [String: ByteBuffer] = [:]) async throws
        -> SyncGroupAPI.Response
    {
        try await client.call(
            SyncGroupAPI.self,
            SyncGroupAPI.Request(
                groupID: Self.group, generationID: generation, memberID: memberID,
                assignments: assignments.sorted { $0.key < $1.key }.map { .init(memberID: $0.key, assignment: $0.value) }),
            version: 3)
    }

    func heartbeat(_ client: KafkaWireClient, _ generation: Int32, _ memberID: String) async throws -> KafkaErrorCode {
        try await client.call(
            HeartbeatAPI.self, HeartbeatAPI.Request(groupID: Self.group, generationID: generation, memberID: memberID), version: 3
        ).errorCode
    }

    /// Heartbeats until the answer is `code` (the join that changes it runs concurrently).
    func heartbeatUntil(_ code: KafkaErrorCode, _ client: KafkaWireClient, _ generation: Int32, _ memberID: String) async throws {
        for _ in 0..<400 {
            let answer = try await heartbeat(client, generation, memberID)
            if answer == code { return }
            #expect(answer == .none, "heartbeat answered \(answer) while waiting for \(code)")
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the heartbeat never answered \(code)")
    }

    func leave(_ client: KafkaWireClient, _ memberIDs: [String]) async throws -> LeaveGroupAPI.Response {
        try await client.call(
            LeaveGroupAPI.self, LeaveGroupAPI.Request(groupID: Self.group, members: memberIDs.map { .init(memberID: $0) }), version: 3)
    }

    func deleteGroup(_ client: KafkaWireClient) async throws -> KafkaErrorCode? {
        try await client.call(DeleteGroupsAPI.self, DeleteGroupsAPI.Request(groupsNames: [Self.group]), version: 1).results.first?.errorCode
    }

    func describe(_ client: KafkaWireClient) async throws -> DescribeGroupsAPI.Response.DescribedGroup {
        let response = try await client.call(DescribeGroupsAPI.self, DescribeGroupsAPI.Request(groups: [Self.group]), version: 4)
        return try #require(response.groups.first)
    }

    @Test func twoMembersJoinSyncCommitAndLeave() async throws {
        let bench = try await WireBench.start(topics: ["events": 2])
        let a = try await bench.connect(clientID: "member-a")
        let b = try await bench.connect(clientID: "member-b")
        let c = try await bench.connect(clientID: "member-c")

        let coordinator = try await a.call(FindCoordinatorAPI.self, FindCoordinatorAPI.Request(key: Self.group), version: 2)
        #expect(coordinator.errorCode == .none)
        #expect(coordinator.nodeID == 0)
        #expect(coordinator.host == "127.0.0.1")
        #expect(coordinator.port == Int32(bench.port))

        // A joins alone: generation 1, A leads and assigns itself everything.
        let idA = try await memberID(a)
        let aJoined = try await join(a, idA)
        #expect(aJoined.errorCode == .none)
        #expect(aJoined.generationID == 1)
        #expect(aJoined.leader == idA)
        #expect(aJoined.memberID == idA)
        #expect(aJoined.protocolName == "range")
        #expect(aJoined.members == [.init(memberID: idA, metadata: Self.subscription)])
        let everything = Self.assignment([0, 1], note: "all")
        #expect(try await sync(a, 1, idA, [idA: everything]).assignment == everything)
        #expect(try await heartbeat(a, 1, idA) == .none)

        // B joins; its join waits until A, told by its heartbeat, rejoins.
        let idB = try await memberID(b)
        #expect(idB != idA)
        let bJoining = Task { try await join(b, idB) }
        try await heartbeatUntil(.rebalanceInProgress, a, 1, idA)
        let aRejoined = try await join(a, idA)
        let bJoined = try await bJoining.value
        #expect(aRejoined.errorCode == .none)
        #expect(bJoined.errorCode == .none)
        #expect(aRejoined.generationID == 2)
        #expect(bJoined.generationID == 2)
        #expect(aRejoined.leader == idA)
        #expect(bJoined.leader == idA)
        #expect(bJoined.memberID == idB)
        #expect(aRejoined.members.map(\.memberID).sorted() == [idA, idB].sorted())
        #expect(aRejoined.members.allSatisfy { $0.metadata == Self.subscription })
        #expect(bJoined.members.isEmpty)

        // The follower's SyncGroup waits for the leader's, and gets its assignment unchanged.
        let forA = Self.assignment([0], note: "for a")
        let forB = Self.assignment([1], note: "for b")
        let bSyncing = Task { try await sync(b, 2, idB) }
        let aSynced = try await sync(a, 2, idA, [idA: forA, idB: forB])
        let bSynced = try await bSyncing.value
        #expect(aSynced.errorCode == .none)
        #expect(aSynced.assignment == forA)
        #expect(bSynced.errorCode == .none)
        #expect(bSynced.assignment == forB)
        #expect(try await heartbeat(a, 2, idA) == .none)
        #expect(try await heartbeat(b, 2, idB) == .none)
        #expect(try await heartbeat(b, 1, idB) == .illegalGeneration)

        // Offsets committed in generation 2 are fetched back; an old generation is refused.
        let commit = try await a.call(
            OffsetCommitAPI.self,
            OffsetCommitAPI.Request(
                groupID: Self.group, generationIDOrMemberEpoch: 2, memberID: idA,
                topics: [.init(name: "events", partitions: [.init(partitionIndex: 0, committedOffset: 42)])]),
            version: 7)
        #expect(commit.topics.first?.partitions.first?.errorCode == KafkaErrorCode.none)
        let stale = try await b.call(
            OffsetCommitAPI.self,
            OffsetCommitAPI.Request(
                groupID: Self.group, generationIDOrMemberEpoch: 1, memberID: idB,
                topics: [.init(name: "events", partitions: [.init(partitionIndex: 1, committedOffset: 7)])]),
            version: 7)
        #expect(stale.topics.first?.partitions.first?.errorCode == .illegalGeneration)
        let fetched = try await b.call(
            OffsetFetchAPI.self,
            OffsetFetchAPI.Request(groupID: Self.group, topics: [.init(name: "events", partitionIndexes: [0, 1])]), version: 5)
        #expect(fetched.errorCode == .none)
        #expect(fetched.topics.first?.partitions.map(\.committedOffset) == [42, -1])

        // DescribeGroups shows both members, their metadata and assignments.
        let described = try await describe(c)
        #expect(described.errorCode == .none)
        #expect(described.groupState == "Stable")
        #expect(described.protocolType == "consumer")
        #expect(described.protocolData == "range")
        #expect(described.members.map(\.memberID).sorted() == [idA, idB].sorted())
        let describedA = try #require(described.members.first { $0.memberID == idA })
        let describedB = try #require(described.members.first { $0.memberID == idB })
        #expect(describedA.clientID == "member-a")
        #expect(describedB.clientID == "member-b")
        #expect(describedA.clientHost.contains("127.0.0.1"))
        #expect(describedA.memberMetadata == Self.subscription)
        #expect(describedA.memberAssignment == forA)
        #expect(describedB.memberAssignment == forB)

        // Not deleted while it has members.
        #expect(try await deleteGroup(c) == .nonEmptyGroup)

        // A third member starts joining: the stable members' heartbeats say to rejoin.
        let idC = try await memberID(c)
        let cJoining = Task { try await join(c, idC) }
        try await heartbeatUntil(.rebalanceInProgress, a, 2, idA)
        #expect(try await heartbeat(b, 2, idB) == .rebalanceInProgress)

        // A and B leave instead: C's join completes with C alone, leading.
        let left = try await leave(a, [idA, idB])
        #expect(left.errorCode == .none)
        #expect(left.members.map(\.memberID) == [idA, idB])
        #expect(left.members.map(\.errorCode) == [.none, .none])
        let cJoined = try await cJoining.value
        #expect(cJoined.errorCode == .none)
        #expect(cJoined.generationID == 3)
        #expect(cJoined.leader == idC)
        #expect(cJoined.members.map(\.memberID) == [idC])
        #expect(try await heartbeat(a, 2, idA) == .unknownMemberID)
        #expect(try await describe(a).members.map(\.memberID) == [idC])
        #expect(try await deleteGroup(a) == .nonEmptyGroup)

        // C leaves: the group is empty and can be deleted, its offsets with it.
        let cLeft = try await leave(c, [idC])
        #expect(cLeft.members.map(\.errorCode) == [.none])
        #expect(try await leave(c, [idC]).members.map(\.errorCode) == [.unknownMemberID])
        #expect(try await deleteGroup(c) == KafkaErrorCode.none)
        #expect(try await describe(c).groupState == "Dead")
        let gone = try await c.call(
            OffsetFetchAPI.self,
            OffsetFetchAPI.Request(groupID: Self.group, topics: [.init(name: "events", partitionIndexes: [0])]), version: 5)
        #expect(gone.topics.first?.partitions.map(\.committedOffset) == [-1])
        #expect(try await bench.finish() == 0)
    }
}
