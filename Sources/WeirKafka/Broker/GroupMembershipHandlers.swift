import NIOCore
import WeirLog

/// JoinGroup, SyncGroup, Heartbeat and LeaveGroup: Kafka clients as members of the log's
/// groups (`GroupCoordinator`), beside the members inside this process.
extension KafkaBroker {
    func joinGroup(_ request: JoinGroupAPI.Request, version: Int16, session: KafkaSession) async -> JoinGroupAPI.Response {
        func failed(_ code: KafkaErrorCode, memberID: String = request.memberID) -> JoinGroupAPI.Response {
            JoinGroupAPI.Response(errorCode: code, generationID: -1, protocolName: "", leader: "", memberID: memberID, members: [])
        }
        var topics = Set<String>()
        if request.protocolType == "consumer" {
            for offered in request.protocols {
                if let subscription = try? ConsumerProtocolSubscription(decoding: offered.metadata) {
                    topics.formUnion(subscription.topics)
                }
            }
        }
        var counts: [String: Int] = [:]
        for name in topics { if let topic = try? log.topic(name) { counts[name] = topic.partitions.count } }
        let join = GroupCoordinator.JoinRequest(
            group: request.groupID, memberID: request.memberID, instanceID: request.groupInstanceID, protocolType: request.protocolType,
            protocols: request.protocols.map { ($0.name, Array($0.metadata.readableBytesView)) }, topics: topics, partitionCounts: counts,
            sessionTimeoutMs: Int64(request.sessionTimeoutMs),
            rebalanceTimeoutMs: Int64(version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs),
            clientID: session.clientID ?? "", clientHost: session.host,
            requireKnownMemberID: version >= 4 && request.groupInstanceID == nil)
        do {
            let id = try log.groups.joinRemote(join)
            while true {
                let mark = log.groups.changed.mark()
                if let outcome = try log.groups.joinOutcome(group: request.groupID, memberID: id) {
                    return JoinGroupAPI.Response(
                        generationID: Int32(outcome.generation), protocolName: outcome.protocolName ?? "", leader: outcome.leader,
                        memberID: id,
                        members: outcome.members.map {
                            .init(memberID: $0.memberID, groupInstanceID: $0.instanceID, metadata: ByteBuffer(bytes: $0.metadata))
                        })
                }
                guard !Task.isCancelled else { return failed(.rebalanceInProgress, memberID: id) }
                await mark.wait(until: groupWaitDeadline(request.groupID))
            }
        } catch {
            return failed(Self.groupErrorCode(error), memberID: Self.requiredMemberID(error) ?? request.memberID)
        }
    }

    func syncGroup(_ request: SyncGroupAPI.Request) async -> SyncGroupAPI.Response {
        let assignments =
            request.assignments.isEmpty
            ? nil : Dictionary(request.assignments.map { ($0.memberID, Array($0.assignment.readableBytesView)) }, uniquingKeysWith: { $1 })
        var first = true
        do {
            while true {
                let mark = log.groups.changed.mark()
                let result = try log.groups.syncRemote(
                    group: request.groupID, memberID: request.memberID, generation: Int(request.generationID),
                    assignments: first ? assignments : nil, decode: Self.decodeAssignment)
                first = false
                switch result {
                case .relayed(let bytes): return SyncGroupAPI.Response(assignment: ByteBuffer(bytes: bytes))
                case .assigned(let partitions): return SyncGroupAPI.Response(assignment: Self.encodeAssignment(partitions))
                case nil: break
                }
                guard !Task.isCancelled else { return SyncGroupAPI.Response(errorCode: .rebalanceInProgress) }
                await mark.wait(until: groupWaitDeadline(request.groupID))
            }
        } catch {
            return SyncGroupAPI.Response(errorCode: Self.groupErrorCode(error))
        }
    }

    func heartbeat(_ request: HeartbeatAPI.Request) -> HeartbeatAPI.Response {
        do {
            try log.groups.heartbeatRemote(group: request.groupID, memberID: request.memberID, generation: Int(request.generationID))
            return HeartbeatAPI.Response()
        } catch {
            return HeartbeatAPI.Response(errorCode: Self.groupErrorCode(error))
        }
    }

    func leaveGroup(_ request: LeaveGroupAPI.Request) -> LeaveGroupAPI.Response {
        // Only Kafka clients leave this way: a pipeline's members are the pipeline's.
        let present = Set(log.groups.memberIDs(group: request.groupID, remoteOnly: true))
        var results: [LeaveGroupAPI.Response.MemberResponse] = []
        for member in request.leavingMembers {
            guard present.contains(member.memberID) else {
                results.append(.init(memberID: member.memberID, groupInstanceID: member.groupInstanceID, errorCode: .unknownMemberID))
                continue
            }
            log.groups.leave(group: request.groupID, memberID: member.memberID)
            results.append(.init(memberID: member.memberID, groupInstanceID: member.groupInstanceID))
        }
        // Before v3 one member leaves and its error is the response's.
        let single = request.members.isEmpty ? results.first?.errorCode ?? .none : .none
        return LeaveGroupAPI.Response(errorCode: single, members: request.members.isEmpty ? [] : results)
    }

    // MARK: Helpers

    /// Wake at least once a second, and at the end of the phase under way: a rebalance
    /// whose time is up completes when someone looks.
    private func groupWaitDeadline(_ group: String) -> ContinuousClock.Instant {
        let second = ContinuousClock.now + .seconds(1)
        guard let deadline = log.groups.phaseDeadline(group: group) else { return second }
        return min(second, ContinuousClock.now + .milliseconds(max(0, deadline - currentTimeMillis()) + 1))
    }

    static func decodeAssignment(_ bytes: [UInt8]) -> [TopicPartition]? {
        guard let assignment = try? ConsumerProtocolAssignment(decoding: ByteBuffer(bytes: bytes)) else { return nil }
        return assignment.assignedPartitions.flatMap { topic in
            topic.partitions.map { TopicPartition(topic: topic.topic, partition: Int($0)) }
        }
    }

    static func encodeAssignment(_ partitions: [TopicPartition]) -> ByteBuffer {
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        return ConsumerProtocolAssignment(
            assignedPartitions: byTopic.keys.sorted().map { topic in
                .init(topic: topic, partitions: byTopic[topic]!.map { Int32($0.partition) }.sorted())
            }
        ).encoded()
    }

    private static func requiredMemberID(_ error: any Error) -> String? {
        if case GroupCoordinator.RemoteGroupError.memberIDRequired(let id) = error { return id }
        return nil
    }

    static func groupErrorCode(_ error: any Error) -> KafkaErrorCode {
        switch error {
        case GroupCoordinator.RemoteGroupError.memberIDRequired: .memberIDRequired
        case GroupCoordinator.RemoteGroupError.unknownMember: .unknownMemberID
        case GroupCoordinator.RemoteGroupError.illegalGeneration: .illegalGeneration
        case GroupCoordinator.RemoteGroupError.rebalanceInProgress: .rebalanceInProgress
        case GroupCoordinator.RemoteGroupError.inconsistentProtocol: .inconsistentGroupProtocol
        case WeirLogError.invalidConfig: .invalidGroupID
        default: KafkaErrorCode(error)
        }
    }
}
