import Foundation
import Synchronization
import Testing
import WeirTestSupport

@testable import WeirLog

@Suite("Topic consumer")
struct TopicConsumerTests {
    @Test("--follow waits for new records without polling and stops when cancelled")
    func follow() async throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("live", config: TopicConfig(partitions: 2))
        try topic.append((0..<10).map { Record(value: bytes("early \($0)"), timestamp: currentTimeMillis()) })
        let seen = Mutex<[String]>([])
        let consumer = try TopicConsumer(log: log, topic: "live", options: .init(group: "followers", follow: true))
        let task = Task {
            try await consumer.run({ _, _, view in
                let value = String(decoding: view.value!, as: UTF8.self)
                seen.withLock { $0.append(value) }
            })
        }
        try await waitUntil { seen.withLock { $0.count } == 10 }
        try topic.append((0..<25).map { Record(value: bytes("late \($0)"), timestamp: currentTimeMillis()) })
        try await waitUntil { seen.withLock { $0.count } == 35 }
        task.cancel()
        let count = try await task.value
        #expect(count == 35)
        #expect(Set(seen.withLock { $0 }) == Set((0..<10).map { "early \($0)" } + (0..<25).map { "late \($0)" }))
        // It committed what it saw, and left the group.
        #expect(try log.describeGroup("followers").allSatisfy { $0.lag == 0 })
        #expect(log.groups.members(group: "followers").isEmpty)
        try log.close()
    }

    @Test("two members of one group split the partitions and together read everything once")
    func twoMembers() async throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("shared", config: TopicConfig(partitions: 4))
        try topic.append((0..<400).map { Record(value: bytes("r\($0)"), timestamp: currentTimeMillis()) })
        let first = try log.groups.join(group: "workers", topics: ["shared"], partitionCounts: ["shared": 4])
        let second = try log.groups.join(group: "workers", topics: ["shared"], partitionCounts: ["shared": 4])
        let firstNow = try log.groups.heartbeat(group: "workers", memberID: first.memberID)
        #expect(Set(firstNow.assignment).isDisjoint(with: second.assignment))
        var values: [String] = []
        for membership in [firstNow, second] {
            let (read, positions) = try readOwned(log, topic, membership)
            values += read
            try log.groups.commit(group: "workers", memberID: membership.memberID, generation: membership.generation, offsets: positions)
        }
        #expect(values.sorted() == (0..<400).map { "r\($0)" }.sorted())
        #expect(try log.describeGroup("workers").map(\.lag) == [0, 0, 0, 0])
        try log.close()
    }

    /// Polls a condition every 10 ms for at most 10 s (test-side only).
    func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<1000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("condition not met within 10 s")
    }
}
