import Foundation
import Synchronization
import Testing
import WeirTestSupport

@testable import WeirLog

/// Members inside this process that hand their partitions over (a pipeline's sink) in a
/// group with Kafka clients: a rebalance waits for them to release, then everyone shares.
@Suite("Consumer groups: handing partitions over")
struct GroupHandOverTests {
    let directory = TemporaryDirectory()
    /// The coordinator's clock, in milliseconds.
    final class Clock: Sendable {
        let now = Mutex<Int64>(1_000_000)
    }
    let clock = Clock()

    func coordinator() throws -> GroupCoordinator {
        try GroupCoordinator.forTesting(directory: directory.path + "/offsets") { [clock] in clock.now.withLock { $0 } }
    }

    static func clientJoin(_ memberID: String? = nil, rebalanceTimeoutMs: Int64 = 30_000) -> GroupCoordinator.JoinRequest {
        GroupCoordinator.JoinRequest(
            group: "g", memberID: memberID, instanceID: nil, protocolType: "consumer", protocols: [(name: "range", metadata: [])],
            topics: ["t"], partitionCounts: ["t": 4], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: rebalanceTimeoutMs,
            clientID: "kcat", clientHost: "127.0.0.1", requireKnownMemberID: false)
    }

    /// The client's partitions once the join completed (its SyncGroup).
    static func clientAssignment(_ groups: GroupCoordinator, _ id: String) throws -> [TopicPartition]? {
        guard let outcome = try groups.joinOutcome(group: "g", memberID: id) else { return nil }
        guard
            case .assigned(let partitions) = try groups.syncRemote(
                group: "g", memberID: id, generation: outcome.generation, assignments: nil, decode: { _ in nil })
        else { return nil }
        return partitions
    }

    /// `release` on a thread of its own (it waits for the group), its result once there.
    final class Releasing: Sendable {
        let result = Mutex<Result<GroupMembership?, any Error>?>(nil)
        init(_ groups: GroupCoordinator, _ memberID: String) {
            Thread.detachNewThread { [self] in
                let outcome = Result { try groups.release(group: "g", memberID: memberID, giveUp: { false }) }
                result.withLock { $0 = outcome }
            }
        }
        func wait() throws -> GroupMembership? {
            try waitUntil("release returned", seconds: 20) { result.withLock { $0 } }.get()
        }
    }

    @Test("a sink hands half its partitions to a client that joins and takes them back when it leaves")
    func handOverAndBack() throws {
        let groups = try coordinator()
        let sink = try groups.join(group: "g", topics: ["t"], partitionCounts: ["t": 4], rebalanceTimeoutMs: 60_000)
        let reading = try groups.heartbeat(group: "g", memberID: sink.memberID)
        #expect(reading.assignment.count == 4 && !reading.mustRelease)

        let client = try groups.joinRemote(Self.clientJoin())
        // The join waits for the sink: it still reads all four partitions.
        #expect(try Self.clientAssignment(groups, client) == nil)
        let asked = try groups.heartbeat(group: "g", memberID: sink.memberID)
        #expect(asked.mustRelease && asked.generation == reading.generation && asked.assignment.count == 4)
        // Before releasing, the sink commits where it is, in the generation it read in.
        let key = TopicPartition(topic: "t", partition: 3)
        try groups.commit(group: "g", memberID: sink.memberID, generation: asked.generation, offsets: [key: 42])
        #expect(try Self.clientAssignment(groups, client) == nil)

        let released = Releasing(groups, sink.memberID)
        let clientPartitions = try waitUntil("the client's join completes", seconds: 20) { try Self.clientAssignment(groups, client) }
        let sinkNow = try #require(try released.wait())
        #expect(clientPartitions.count == 2 && sinkNow.assignment.count == 2)
        #expect(Set(clientPartitions).isDisjoint(with: sinkNow.assignment))
        #expect(Set(clientPartitions).union(sinkNow.assignment).count == 4)
        #expect(groups.committedOffsets(group: "g")[key] == 42)

        // The client leaves: the sink is asked again, releases, and takes all four.
        groups.leave(group: "g", memberID: client)
        let askedAgain = try groups.heartbeat(group: "g", memberID: sink.memberID)
        #expect(askedAgain.mustRelease)
        let all = try #require(try groups.release(group: "g", memberID: sink.memberID, giveUp: { false }))
        #expect(all.assignment.count == 4 && all.generation > sinkNow.generation)
    }

    @Test("a sink that does not release in time keeps what it holds; the client gets the rest")
    func keepsWhatItHoldsPastTheDeadline() throws {
        let groups = try coordinator()
        let sink = try groups.join(group: "g", topics: ["t"], partitionCounts: ["t": 4], rebalanceTimeoutMs: 5_000)
        let other = try groups.join(group: "g", topics: ["t"], partitionCounts: ["t": 4], rebalanceTimeoutMs: 5_000)
        let sinkHeld = try groups.heartbeat(group: "g", memberID: sink.memberID)
        // The second member has taken nothing yet: only the first is waited for.
        let client = try groups.joinRemote(Self.clientJoin(rebalanceTimeoutMs: 1_000))
        #expect(try Self.clientAssignment(groups, client) == nil)
        clock.now.withLock { $0 += 5_001 }
        let clientPartitions = try #require(try Self.clientAssignment(groups, client))
        let sinkNow = try groups.heartbeat(group: "g", memberID: sink.memberID)
        let otherNow = try groups.heartbeat(group: "g", memberID: other.memberID)
        #expect(!sinkNow.mustRelease && Set(sinkNow.assignment) == Set(sinkHeld.assignment))
        let owners = GroupTests.owners([sink.memberID: sinkNow.assignment, other.memberID: otherNow.assignment, client: clientPartitions])
        #expect(owners.count == 4 && owners.values.allSatisfy { $0.count == 1 })
        // Its late release changes nothing it holds.
        let late = try #require(try groups.release(group: "g", memberID: sink.memberID, giveUp: { false }))
        #expect(Set(late.assignment) == Set(sinkHeld.assignment))
    }

    @Test("a member that had taken nothing when a rebalance began takes nothing until it ends")
    func untakenMemberWaitsForTheNextGeneration() throws {
        let groups = try coordinator()
        let sink = try groups.join(group: "g", topics: ["t"], partitionCounts: ["t": 4], rebalanceTimeoutMs: 5_000)
        // A client joins before the sink took its assignment: nobody is waited for.
        let client = try groups.joinRemote(Self.clientJoin())
        #expect(try Self.clientAssignment(groups, client)?.count == 2)
        // A second client starts a rebalance the sink is not part of: its heartbeat must not
        // hand it this generation's partitions, which the next may give to others.
        let second = try groups.joinRemote(Self.clientJoin())
        let asked = try groups.heartbeat(group: "g", memberID: sink.memberID)
        #expect(asked.mustRelease)
        let released = Releasing(groups, sink.memberID)
        _ = try groups.joinRemote(Self.clientJoin(client))
        let firstPartitions = try waitUntil("the rebalance completes", seconds: 20) { try Self.clientAssignment(groups, client) }
        let secondPartitions = try #require(try Self.clientAssignment(groups, second))
        let sinkNow = try #require(try released.wait())
        let owners = GroupTests.owners([sink.memberID: sinkNow.assignment, client: firstPartitions, second: secondPartitions])
        #expect(owners.count == 4 && owners.values.allSatisfy { $0.count == 1 })
    }

    @Test("a Kafka client cannot join or leave as a member inside this process")
    func clientsCannotActAsLocalMembers() throws {
        let groups = try coordinator()
        let sink = try groups.join(group: "g", topics: ["t"], partitionCounts: ["t": 4], rebalanceTimeoutMs: 5_000)
        #expect(throws: GroupCoordinator.RemoteGroupError.unknownMember) { try groups.joinRemote(Self.clientJoin(sink.memberID)) }
        #expect(groups.memberIDs(group: "g", remoteOnly: true).isEmpty)
    }

    @Test("members that keep what they hold (weir consume --group) are not waited for")
    func keepersAreNotWaitedFor() throws {
        let groups = try coordinator()
        let consumer = try groups.join(group: "g", topics: ["t"], partitionCounts: ["t": 4])
        let held = try groups.heartbeat(group: "g", memberID: consumer.memberID)
        let client = try groups.joinRemote(Self.clientJoin())
        let clientPartitions = try #require(try Self.clientAssignment(groups, client))
        #expect(clientPartitions.isEmpty)
        #expect(try groups.heartbeat(group: "g", memberID: consumer.memberID).assignment == held.assignment)
    }
}
