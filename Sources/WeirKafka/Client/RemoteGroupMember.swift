import Foundation
import NIOCore
public import WeirLog

/// A member of a consumer group on a Kafka-protocol broker, over the wire, as Kafka's
/// classic group protocol has it: FindCoordinator, then JoinGroup (protocol type
/// "consumer", one protocol: the assignor's name) and SyncGroup, where the member the
/// coordinator elects leader assigns every member's subscribed partitions; Heartbeat to
/// stay in and to learn of rebalances; OffsetFetch and OffsetCommit for the group's
/// positions; LeaveGroup. `weir consume --group` through a broker is this.
///
/// Blocking, one thread at a time (hence `@unchecked Sendable`): on a thread of its own.
public final class RemoteGroupMember: @unchecked Sendable {
    public let group: String
    public let topics: [String]
    public let strategy: AssignmentStrategy
    /// The broker for metadata and fetches.
    public let broker: RemoteTopics
    /// The group's coordinator (the broker itself when it is the coordinator, or when the
    /// coordinator's address cannot be connected to as given).
    let coordinator: KafkaConnection
    let sessionTimeoutMs: Int32
    let rebalanceTimeoutMs: Int32
    /// Kafka's default `heartbeat.interval.ms`, a third of the session timeout.
    public static let heartbeatInterval: Duration = .seconds(3)

    /// "" until the coordinator gives one.
    public private(set) var memberID = ""
    public private(set) var generation: Int32 = -1
    /// The partitions this member owns in `generation`.
    public private(set) var assignment: [TopicPartition] = []
    private var lastHeartbeat = ContinuousClock.now

    /// Finds the group's coordinator; joins nothing yet (`join`).
    public init(
        broker: RemoteTopics, group: String, topics: [String], strategy: AssignmentStrategy = .range,
        sessionTimeoutMs: Int32 = 10_000, rebalanceTimeoutMs: Int32 = 30_000
    ) throws {
        self.broker = broker
        self.group = group
        self.topics = topics
        self.strategy = strategy
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        var attempts = 0
        while true {
            let found = try broker.connection.request(FindCoordinatorAPI.self, FindCoordinatorAPI.Request(key: group), version: 2)
            switch found.errorCode {
            case .none:
                let address = "\(found.host):\(found.port)"
                coordinator =
                    address == broker.connection.address
                    ? broker.connection
                    : (try? KafkaConnection(address, clientID: broker.connection.clientID, timeout: 60)) ?? broker.connection
                return
            case .coordinatorNotAvailable where attempts < 50, .coordinatorLoadInProgress where attempts < 50:
                attempts += 1
                Thread.sleep(forTimeInterval: 0.2)
            default:
                throw Failure(description: "no coordinator for group '\(group)' at \(broker.connection.address): \(found.errorCode)")
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    // MARK: Membership

    /// Joins (or rejoins) the group and waits for this generation's assignment, which it
    /// returns. Leader, it assigns every member with `strategy`'s assignor.
    @discardableResult
    public func join() throws -> [TopicPartition] {
        var retries = 0
        func retry(_ code: KafkaErrorCode, _ what: String) throws {
            retries += 1
            guard retries <= 100 else { throw Failure(description: "\(what) group '\(group)': \(code), \(retries - 1) times") }
        }
        while true {
            let owned = Dictionary(grouping: assignment, by: \.topic).sorted { $0.key < $1.key }.map {
                ConsumerProtocolSubscription.TopicPartition(topic: $0.key, partitions: $0.value.map { Int32($0.partition) }.sorted())
            }
            let subscription = ConsumerProtocolSubscription(version: 1, topics: topics, ownedPartitions: owned)
            let request = JoinGroupAPI.Request(
                groupID: group, sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutMs, memberID: memberID,
                protocolType: "consumer", protocols: [.init(name: strategy.rawValue, metadata: subscription.encoded())])
            let joined = try coordinator.request(JoinGroupAPI.self, request, version: 4)
            switch joined.errorCode {
            case .none: break
            case .memberIDRequired:
                memberID = joined.memberID
                continue
            case .unknownMemberID, .illegalGeneration:
                memberID = ""
                try retry(joined.errorCode, "join")
                continue
            case .rebalanceInProgress, .coordinatorLoadInProgress:
                try retry(joined.errorCode, "join")
                continue
            case .inconsistentGroupProtocol:
                throw Failure(
                    description:
                        "group '\(group)' has members that do not use the \(strategy.rawValue) assignor (--assignor) or are not consumers")
            default:
                throw Failure(description: "join group '\(group)': \(joined.errorCode)")
            }
            memberID = joined.memberID
            generation = joined.generationID
            let assignments = joined.leader == memberID ? try assign(joined) : []
            let synced = try coordinator.request(
                SyncGroupAPI.self,
                SyncGroupAPI.Request(groupID: group, generationID: generation, memberID: memberID, assignments: assignments), version: 2)
            switch synced.errorCode {
            case .none: break
            case .rebalanceInProgress, .illegalGeneration:
                try retry(synced.errorCode, "sync")
                continue
            case .unknownMemberID:
                memberID = ""
                try retry(synced.errorCode, "sync")
                continue
            default:
                throw Failure(description: "sync group '\(group)': \(synced.errorCode)")
            }
            let received =
                synced.assignment.readableBytes == 0 ? [] : try ConsumerProtocolAssignment(decoding: synced.assignment).assignedPartitions
            assignment = received.flatMap { topic in topic.partitions.map { TopicPartition(topic: topic.topic, partition: Int($0)) } }
                .sorted()
            lastHeartbeat = .now
            return assignment
        }
    }

    /// The leader's assignment for every member, from their subscriptions.
    private func assign(_ joined: JoinGroupAPI.Response) throws -> [SyncGroupAPI.Request.SyncGroupRequestAssignment] {
        guard joined.protocolName == strategy.rawValue else {
            throw Failure(description: "group '\(group)' chose the \(joined.protocolName ?? "no") assignor, not \(strategy.rawValue)")
        }
        var subscriptions: [String: Set<String>] = [:]
        var previous: [String: [TopicPartition]] = [:]
        for member in joined.members {
            let subscription = try ConsumerProtocolSubscription(decoding: member.metadata)
            subscriptions[member.memberID] = Set(subscription.topics)
            previous[member.memberID] = subscription.ownedPartitions.flatMap { owned in
                owned.partitions.map { TopicPartition(topic: owned.topic, partition: Int($0)) }
            }
        }
        var counts: [String: Int] = [:]
        for topic in Set(subscriptions.values.flatMap { $0 }) {
            counts[topic] = try? broker.partitionCount(topic)
        }
        let assigned = strategy.assignor.assign(subscriptions: subscriptions, partitionCounts: counts, previous: previous)
        return subscriptions.keys.sorted().map { member in
            let byTopic = Dictionary(grouping: assigned[member] ?? [], by: \.topic)
            let assignment = ConsumerProtocolAssignment(
                assignedPartitions: byTopic.keys.sorted().map { topic in
                    .init(topic: topic, partitions: byTopic[topic]!.map { Int32($0.partition) }.sorted())
                })
            return .init(memberID: member, assignment: assignment.encoded())
        }
    }

    /// Heartbeats when `heartbeatInterval` has passed since the last; whether the member
    /// must rejoin (the group is rebalancing or has moved on without it).
    public func heartbeatIfDue() throws -> Bool {
        guard ContinuousClock.now - lastHeartbeat >= Self.heartbeatInterval else { return false }
        let response = try coordinator.request(
            HeartbeatAPI.self, HeartbeatAPI.Request(groupID: group, generationID: generation, memberID: memberID), version: 2)
        lastHeartbeat = .now
        switch response.errorCode {
        case .none: return false
        case .rebalanceInProgress, .illegalGeneration: return true
        case .unknownMemberID:
            memberID = ""
            return true
        default: throw Failure(description: "heartbeat in group '\(group)': \(response.errorCode)")
        }
    }

    /// Leaves the group (its partitions go to the others at once, not at session expiry).
    public func leave() {
        guard !memberID.isEmpty else { return }
        _ = try? coordinator.request(LeaveGroupAPI.self, LeaveGroupAPI.Request(groupID: group, memberID: memberID), version: 2)
        memberID = ""
        generation = -1
        assignment = []
    }

    // MARK: Offsets

    /// The group's committed offsets (the next to read) of `partitions`; those without one
    /// are left out.
    public func committed(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        let request = OffsetFetchAPI.Request(
            groupID: group,
            topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!.map { Int32($0.partition) }) })
        let response = try coordinator.request(OffsetFetchAPI.self, request, version: 5)
        guard response.errorCode == .none else { throw Failure(description: "offsets of group '\(group)': \(response.errorCode)") }
        var result: [TopicPartition: Int64] = [:]
        for topic in response.topics {
            for partition in topic.partitions where partition.errorCode == .none && partition.committedOffset >= 0 {
                result[TopicPartition(topic: topic.name, partition: Int(partition.partitionIndex))] = partition.committedOffset
            }
        }
        return result
    }

    /// Commits `offsets` (the next to read) as this generation's member; false when the
    /// group has moved on (the member must rejoin, and whoever owns those partitions then
    /// reads the records again from the last accepted commit).
    public func commit(_ offsets: [TopicPartition: Int64]) throws -> Bool {
        guard !offsets.isEmpty else { return true }
        let byTopic = Dictionary(grouping: offsets, by: \.key.topic)
        let request = OffsetCommitAPI.Request(
            groupID: group, generationIDOrMemberEpoch: generation, memberID: memberID,
            topics: byTopic.keys.sorted().map { topic in
                .init(
                    name: topic,
                    partitions: byTopic[topic]!.map { .init(partitionIndex: Int32($0.key.partition), committedOffset: $0.value) })
            })
        let response = try coordinator.request(OffsetCommitAPI.self, request, version: 6)
        for topic in response.topics {
            for partition in topic.partitions {
                switch partition.errorCode {
                case .none: continue
                case .rebalanceInProgress, .illegalGeneration: return false
                case .unknownMemberID:
                    memberID = ""
                    return false
                default:
                    throw Failure(
                        description: "commit of group '\(group)' for \(topic.name)/\(partition.partitionIndex): \(partition.errorCode)")
                }
            }
        }
        return true
    }
}
