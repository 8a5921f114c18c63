import Foundation
import Synchronization
import Testing
import WeirTestSupport

@testable import WeirLog

@Suite("Consumer groups")
struct GroupTests {
    static func owners(_ assignment: [String: [TopicPartition]]) -> [TopicPartition: [String]] {
        var owners: [TopicPartition: [String]] = [:]
        for (member, partitions) in assignment {
            for partition in partitions { owners[partition, default: []].append(member) }
        }
        return owners
    }

    @Test("every partition has exactly one owner as members join and leave", arguments: AssignmentStrategy.allCases)
    func exactlyOneOwner(strategy: AssignmentStrategy) {
        let assignor = strategy.assignor
        let counts = ["a": 7, "b": 3]
        var previous: [String: [TopicPartition]] = [:]
        var members: [String] = []
        let steps: [(String, Bool)] = [
            ("m1", true), ("m2", true), ("m3", true), ("m2", false), ("m4", true), ("m5", true),
            ("m1", false), ("m3", false), ("m6", true), ("m7", true), ("m8", true), ("m9", true),
            ("m10", true), ("m11", true), ("m12", true),
        ]
        for (member, joins) in steps {
            if joins { members.append(member) } else { members.removeAll { $0 == member } }
            let subscriptions = Dictionary(uniqueKeysWithValues: members.map { ($0, Set(["a", "b"])) })
            let assignment = assignor.assign(subscriptions: subscriptions, partitionCounts: counts, previous: previous)
            let owners = Self.owners(assignment)
            #expect(owners.count == 10, "\(strategy): every partition is assigned")
            #expect(owners.values.allSatisfy { $0.count == 1 }, "\(strategy): no partition has two owners")
            #expect(Set(assignment.keys) == Set(members))
            if strategy != .range {
                let sizes = assignment.values.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1, "\(strategy): balanced within one")
            }
            previous = assignment
        }
    }

    @Test("range gives contiguous ranges, the first members one extra")
    func rangeLayout() {
        let result = RangeAssignor().assign(subscriptions: ["b": ["t"], "a": ["t"]], partitionCounts: ["t": 5], previous: [:])
        #expect(result["a"]!.map(\.partition) == [0, 1, 2])
        #expect(result["b"]!.map(\.partition) == [3, 4])
    }

    @Test("roundrobin deals partitions in turn")
    func roundRobinLayout() {
        let result = RoundRobinAssignor().assign(subscriptions: ["a": ["t"], "b": ["t"]], partitionCounts: ["t": 5], previous: [:])
        #expect(result["a"]!.map(\.partition) == [0, 2, 4])
        #expect(result["b"]!.map(\.partition) == [1, 3])
    }

    @Test("sticky keeps survivors' partitions and moves only the departed member's")
    func stickyMovesLittle() {
        let assignor = StickyAssignor()
        let all: Set<String> = ["t"]
        let first = assignor.assign(subscriptions: ["a": all, "b": all, "c": all], partitionCounts: ["t": 6], previous: [:])
        let second = assignor.assign(subscriptions: ["a": all, "c": all], partitionCounts: ["t": 6], previous: first)
        #expect(Set(second["a"]!).isSuperset(of: first["a"]!))
        #expect(Set(second["c"]!).isSuperset(of: first["c"]!))
        #expect(second["a"]!.count == 3 && second["c"]!.count == 3)
        // A newcomer takes partitions, but survivors keep the rest of what they had.
        let third = assignor.assign(subscriptions: ["a": all, "c": all, "d": all], partitionCounts: ["t": 6], previous: second)
        #expect(third["d"]!.count == 2)
        #expect(Set(second["a"]!).intersection(third["a"]!).count == 2)
        #expect(Set(second["c"]!).intersection(third["c"]!).count == 2)
    }

    @Test("a commit from a stale generation, an unknown member or for another's partition is rejected")
    func staleCommits() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let coordinator = try GroupCoordinator.forTesting(directory: directory.path) { clock.now }
        let first = try coordinator.join(group: "g", topics: ["t"], partitionCounts: ["t": 4])
        #expect(first.assignment.count == 4)
        let second = try coordinator.join(group: "g", topics: ["t"], partitionCounts: ["t": 4])
        #expect(second.generation == first.generation + 1)
        let p0 = TopicPartition(topic: "t", partition: 0)

        #expect(
            throws: WeirLogError.staleGeneration(
                group: "g", member: first.memberID, generation: first.generation, current: second.generation)
        ) {
            try coordinator.commit(group: "g", memberID: first.memberID, generation: first.generation, offsets: [p0: 10])
        }
        let refreshed = try coordinator.heartbeat(group: "g", memberID: first.memberID)
        #expect(refreshed.generation == second.generation)
        #expect(Set(refreshed.assignment).isDisjoint(with: second.assignment))
        #expect(refreshed.assignment.count + second.assignment.count == 4)
        let mine = refreshed.assignment[0]
        try coordinator.commit(group: "g", memberID: first.memberID, generation: refreshed.generation, offsets: [mine: 10])
        #expect(coordinator.committedOffsets(group: "g")[mine] == 10)
        let theirs = second.assignment[0]
        #expect(throws: WeirLogError.self) {
            try coordinator.commit(group: "g", memberID: first.memberID, generation: refreshed.generation, offsets: [theirs: 3])
        }
        #expect(throws: WeirLogError.self) {
            try coordinator.commit(group: "g", memberID: "nobody", generation: refreshed.generation, offsets: [mine: 3])
        }
        #expect(throws: WeirLogError.groupHasActiveMembers("g")) {
            try coordinator.resetOffsets(group: "g", offsets: [mine: 0])
        }
    }

    @Test("a member whose session expires loses its partitions to the others")
    func sessionExpiry() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let coordinator = try GroupCoordinator.forTesting(directory: directory.path) { clock.now }
        let quiet = try coordinator.join(group: "g", topics: ["t"], partitionCounts: ["t": 4], sessionTimeoutMs: 1000)
        let busy = try coordinator.join(group: "g", topics: ["t"], partitionCounts: ["t": 4], sessionTimeoutMs: 1000)
        #expect(try coordinator.heartbeat(group: "g", memberID: busy.memberID).assignment.count == 2)
        for _ in 0..<3 {
            clock.advance(600)
            _ = try coordinator.heartbeat(group: "g", memberID: busy.memberID)
        }
        let after = try coordinator.heartbeat(group: "g", memberID: busy.memberID)
        #expect(after.assignment.count == 4)
        #expect(after.generation > busy.generation)
        #expect(throws: WeirLogError.unknownGroupMember(group: "g", member: quiet.memberID)) {
            try coordinator.heartbeat(group: "g", memberID: quiet.memberID)
        }
        coordinator.leave(group: "g", memberID: busy.memberID)
        #expect(coordinator.members(group: "g").isEmpty)
    }

    @Test("committed offsets survive a restart, and lag is end minus committed")
    func commitsSurviveRestart() throws {
        let directory = TemporaryDirectory()
        var log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("events", config: TopicConfig(partitions: 3))
        try topic.append((0..<300).map { Record(value: bytes("e\($0)"), timestamp: currentTimeMillis()) })
        let member = try log.groups.join(group: "billing", topics: ["events"], partitionCounts: ["events": 3])
        try log.groups.commit(
            group: "billing", memberID: member.memberID, generation: member.generation,
            offsets: [
                TopicPartition(topic: "events", partition: 0): 100,
                TopicPartition(topic: "events", partition: 1): 40,
            ])
        try log.close()

        log = try EmbeddedLog(directory: directory.path)
        let committed = log.groups.committedOffsets(group: "billing")
        #expect(committed == [TopicPartition(topic: "events", partition: 0): 100, TopicPartition(topic: "events", partition: 1): 40])
        #expect(log.groups.groupNames == ["billing"])
        let rows = try log.describeGroup("billing")
        // Partition 2, never committed, is listed too, its lag counted from its start.
        #expect(rows.map(\.lag) == [0, 60, 100])
        #expect(rows.map(\.end) == [100, 100, 100])
        #expect(rows.map(\.committed) == [100, 40, nil])
        let events = try log.topic("events")
        #expect(try log.startOffset(group: "billing", partition: events.partitions[1], reset: .earliest) == 40)
        #expect(try log.startOffset(group: "billing", partition: events.partitions[2], reset: .earliest) == 0)
        #expect(try log.startOffset(group: "billing", partition: events.partitions[2], reset: .latest) == 100)
        #expect(throws: WeirLogError.noCommittedOffset(group: "billing", topic: "events", partition: 2)) {
            try log.startOffset(group: "billing", partition: events.partitions[2], reset: .error)
        }
        try log.close()
    }

    @Test("a second owner of a data directory is refused with the holder's PID")
    func oneOwner() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        #expect(throws: WeirLogError.directoryLocked(path: directory.path, holder: getpid())) {
            try EmbeddedLog(directory: directory.path)
        }
        let other = try weir(directory.path, ["topics", "list"])
        #expect(other.status != 0)
        #expect(other.stderr.contains("in use by process \(getpid())"), "\(other.stderr)")
        try log.close()
        #expect(try weir(directory.path, ["topics", "list"]).status == 0)
    }

    @Test(
        "topic and group names follow Kafka's rule and never leave the data directory",
        arguments: [
            "", ".", "..", "../escape", "a/b", "with space", "ünïcode", String(repeating: "x", count: 250), "nul\u{0}byte",
        ])
    func badNames(name: String) throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        #expect(throws: WeirLogError.self) { try log.createTopic(name) }
        #expect(throws: WeirLogError.self) { try log.groups.join(group: name, topics: ["t"], partitionCounts: ["t": 1]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/topics").isEmpty)
        try log.close()
    }

    @Test("good names are accepted", arguments: ["a", "A.b_c-9", String(repeating: "x", count: 249), "..."])
    func goodNames(name: String) throws {
        try TopicName.validate(name)
        #expect(name.count <= 249)
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let millis = Mutex<Int64>(1_000_000)
    var now: Int64 { millis.withLock { $0 } }
    func advance(_ delta: Int64) { millis.withLock { $0 += delta } }
}

@Suite("Consumer groups under rebalancing")
struct RebalanceTests {
    @Test("an accepted commit keeps a member's session alive")
    func commitIsHeartbeat() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let coordinator = try GroupCoordinator.forTesting(directory: directory.path) { clock.now }
        let member = try coordinator.join(group: "g", topics: ["t"], partitionCounts: ["t": 2], sessionTimeoutMs: 1000)
        for step in 0..<5 {
            clock.advance(800)
            try coordinator.commit(
                group: "g", memberID: member.memberID, generation: member.generation,
                offsets: [TopicPartition(topic: "t", partition: 0): Int64(step)])
        }
        #expect(coordinator.members(group: "g").keys.contains(member.memberID))
    }

    @Test("a consumer that is rebalanced mid-read rejoins and reads what it owns, losing nothing")
    func consumerSurvivesRebalance() async throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("t", config: TopicConfig(partitions: 4))
        let total = 30_000
        try topic.append((0..<total).map { Record(value: bytes("r\($0)"), timestamp: currentTimeMillis()) })
        var seen: [String] = []
        var intruder: GroupMembership?
        let consumer = try TopicConsumer(log: log, topic: "t", options: .init(group: "g"))
        try await consumer.run({ _, _, view in
            seen.append(String(decoding: view.value!, as: UTF8.self))
            // Halfway through, a second member joins: the group moves to a new generation.
            if seen.count == 5000 {
                intruder = try log.groups.join(group: "g", topics: ["t"], partitionCounts: ["t": 4])
            }
        })
        let other = try #require(intruder)
        let now = try log.groups.heartbeat(group: "g", memberID: other.memberID)
        // The intruder reads what it was given, from the group's committed offsets.
        seen += try readOwned(log, topic, now).values
        // At least once: everything is there; repeats only from the one uncommitted chunk.
        #expect(Set(seen) == Set((0..<total).map { "r\($0)" }))
        #expect(seen.count - total <= TopicConsumer.commitInterval)
        try log.close()
    }
}
