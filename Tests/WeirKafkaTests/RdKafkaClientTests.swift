import Foundation
import Logging
import Testing
import WeirLog
import WeirRdKafka
import WeirTestSupport

/// Weir's librdkafka wrapper (`WeirRdKafka`) against `weir serve --kafka`: what goes in
/// through the producer comes out of a group consumer whole (keys, headers, timestamps,
/// order), the admin creates and counts, and mistakes are one-line errors.
@Suite struct RdKafkaClientTests {
    static let logger = Logger(label: "test.rdkafka")

    static func configuration(_ weir: ServingWeir, _ extra: [(key: String, value: String)] = []) -> RdKafkaConfiguration {
        RdKafkaConfiguration(bootstrap: weir.address, [("client.id", "weir-wrapper-test")] + extra)
    }

    /// Polls until `count` messages came, answering rebalances as the group gives them.
    static func consume(_ consumer: RdKafkaConsumer, count: Int, seconds: Double = 60) throws -> [ConsumedMessage] {
        var messages: [ConsumedMessage] = []
        _ = try waitUntil("\(count) messages consumed", seconds: seconds) { () -> Bool? in
            switch try consumer.poll(timeoutMillis: 200) {
            case .messages(let batch): messages += batch
            case .assigned(let partitions): try consumer.assign(partitions.map { ($0, nil) })
            case .revoked(let partitions, _): try consumer.unassign(partitions)
            case .idle, .reachedEnd: break
            }
            return messages.count >= count ? true : nil
        }
        return messages
    }

    @Test func producedMessagesComeBackWholeThroughAGroupConsumer() async throws {
        let directory = TemporaryDirectory()
        let weir = try await ServingWeir.start(dataDir: directory.path + "/data")
        let configuration = Self.configuration(weir)
        try await onOwnThread {
            let admin = try RdKafkaAdmin(configuration)
            try admin.create(ClusterTopic(name: "events", partitions: 3))
            #expect(try admin.partitionCounts()["events"] == 3)

            let producer = try RdKafkaProducer(configuration, logger: Self.logger)
            let messages = (0..<900).map { n in
                OutgoingMessage(
                    key: Array("key-\(n % 7)".utf8), value: Array("value \(n)".utf8), timestamp: 1_700_000_000_000 + Int64(n),
                    headers: [RecordHeader(key: "n", value: Array("\(n)".utf8)), RecordHeader(key: "empty", value: nil)])
            }
            #expect(try producer.produce(topic: "events", messages).isEmpty)
            producer.close()

            let consumer = try RdKafkaConsumer(
                configuration.merging([("group.id", "readers"), ("auto.offset.reset", "earliest")]), logger: Self.logger)
            try consumer.subscribe(["events"])
            let consumed = try Self.consume(consumer, count: 900)
            #expect(consumed.count == 900)
            #expect(Set(consumed.map { String(decoding: $0.value, as: UTF8.self) }) == Set((0..<900).map { "value \($0)" }))
            for message in consumed {
                let n = Int(String(decoding: message.value, as: UTF8.self).dropFirst(6))!
                #expect(message.key == Array("key-\(n % 7)".utf8))
                #expect(message.timestamp == 1_700_000_000_000 + Int64(n))
                #expect(message.headers == [RecordHeader(key: "n", value: Array("\(n)".utf8)), RecordHeader(key: "empty", value: nil)])
            }
            // Each key in the partition murmur2 gives it (as Java clients and `weir produce`
            // place it), and in each partition offsets follow the order sent.
            for key in 0..<7 {
                let bytes = Array("key-\(key)".utf8)
                let expected = bytes.withUnsafeBytes { Int32(Partitioner.partition(forKey: $0, partitionCount: 3)) }
                #expect(Set(consumed.filter { $0.key == bytes }.map(\.partition)) == [expected])
            }
            for partition in Int32(0)..<3 {
                let values = consumed.filter { $0.partition == partition }.sorted { $0.offset < $1.offset }
                let numbers = values.map { Int(String(decoding: $0.value, as: UTF8.self).dropFirst(6))! }
                #expect(numbers == numbers.sorted())
                #expect(values.map(\.offset) == Array(0..<Int64(values.count)))
            }

            let ends = Dictionary(grouping: consumed, by: \.topicPartition).mapValues { ($0.map(\.offset).max() ?? -1) + 1 }
            try consumer.commit(ends)
            #expect(try consumer.committed(Array(ends.keys)) == ends)
            #expect(try consumer.assignment() == (0..<3).map { KafkaTopicPartition(topic: "events", partition: $0) })
            consumer.close()
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test func anAssignmentStartsWhereTheCallerSays() async throws {
        let directory = TemporaryDirectory()
        let weir = try await ServingWeir.start(dataDir: directory.path + "/data")
        let configuration = Self.configuration(weir)
        try await onOwnThread {
            try RdKafkaAdmin(configuration).create(ClusterTopic(name: "one", partitions: 1))
            let producer = try RdKafkaProducer(configuration, logger: Self.logger)
            #expect(try producer.produce(topic: "one", (0..<50).map { OutgoingMessage(value: Array("m\($0)".utf8)) }).isEmpty)
            producer.close()

            let consumer = try RdKafkaConsumer(configuration.merging([("group.id", "from-40")]), logger: Self.logger)
            try consumer.subscribe(["one"])
            var got: [ConsumedMessage] = []
            _ = try waitUntil("the last ten messages") { () -> Bool? in
                switch try consumer.poll(timeoutMillis: 200) {
                case .assigned(let partitions): try consumer.assign(partitions.map { ($0, 40) })
                case .messages(let batch): got += batch
                default: break
                }
                return got.count >= 10 ? true : nil
            }
            #expect(got.map(\.offset) == Array(40..<50))
            consumer.close()
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test func refusalsAndMistakesAreOneLineErrors() async throws {
        let directory = TemporaryDirectory()
        let weir = try await ServingWeir.start(dataDir: directory.path + "/data")
        let configuration = Self.configuration(weir)
        try await onOwnThread {
            #expect(throws: RdKafkaError.self) {
                try RdKafkaProducer(configuration.merging([("no.such.property", "1")]), logger: Self.logger)
            }
            do {
                _ = try RdKafkaProducer(configuration.merging([("no.such.property", "1")]), logger: Self.logger)
            } catch {
                #expect("\(error)" == "kafka property 'no.such.property': No such configuration property: \"no.such.property\"")
            }
            #expect(throws: RdKafkaError.self) { try RdKafkaConsumer(configuration, logger: Self.logger) }

            let admin = try RdKafkaAdmin(configuration)
            try admin.create(ClusterTopic(name: "small", partitions: 1))
            do {
                try admin.create(ClusterTopic(name: "small", partitions: 1))
                Issue.record("creating a topic twice succeeded")
            } catch let error as RdKafkaError {
                #expect(error.code == 36)
                #expect(error.description.hasPrefix("create topic 'small': "))
            }

            // One message over the producer's message.max.bytes: refused by itself, the others go.
            let producer = try RdKafkaProducer(configuration.merging([("message.max.bytes", "10000")]), logger: Self.logger)
            let failures = try producer.produce(
                topic: "small",
                [
                    OutgoingMessage(value: Array("a".utf8)), OutgoingMessage(value: [UInt8](repeating: 1, count: 20_000)),
                    OutgoingMessage(value: Array("c".utf8)),
                ])
            #expect(failures.map(\.index) == [1])
            #expect(failures.first?.error.refusesTheRecord == true)
            producer.close()
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    /// Two members in one group under each of librdkafka's assignors, eager (range,
    /// roundrobin) and cooperative (cooperative-sticky, whose rebalances are incremental):
    /// they split the partitions, and when one leaves the other gets them all.
    @Test(arguments: ["range", "roundrobin", "cooperative-sticky"])
    func twoMembersSplitAndOneTakesAllWhenTheOtherLeaves(strategy: String) async throws {
        let directory = TemporaryDirectory()
        let weir = try await ServingWeir.start(dataDir: directory.path + "/data")
        let configuration = Self.configuration(weir).merging([
            ("group.id", "split-\(strategy)"), ("partition.assignment.strategy", strategy), ("auto.offset.reset", "earliest"),
            ("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "300"),
        ])
        try await onOwnThread {
            try RdKafkaAdmin(Self.configuration(weir)).create(ClusterTopic(name: "shared", partitions: 4))
            let members = [
                try RdKafkaConsumer(configuration, logger: Self.logger), try RdKafkaConsumer(configuration, logger: Self.logger),
            ]
            for member in members { try member.subscribe(["shared"]) }
            var held: [Set<Int32>] = [[], []]
            var incremental = false
            /// Polls every live member until `condition` holds of what they hold.
            func pollUntil(_ what: String, live: [Int], _ condition: () -> Bool) throws {
                _ = try waitUntil(what) { () -> Bool? in
                    for i in live {
                        switch try members[i].poll(timeoutMillis: 50) {
                        case .assigned(let partitions):
                            try members[i].assign(partitions.map { ($0, nil) })
                            // A cooperative member is given only what it gains, keeping the rest.
                            if !held[i].isEmpty { incremental = true }
                            held[i].formUnion(partitions.map(\.partition))
                        case .revoked(let partitions, _):
                            try members[i].unassign(partitions)
                            held[i].subtract(partitions.map(\.partition))
                        default: break
                        }
                    }
                    return condition() ? true : nil
                }
            }
            try pollUntil("the two members split the partitions", live: [0, 1]) {
                held[0].count == 2 && held[1].count == 2 && held[0].isDisjoint(with: held[1])
            }
            #expect(try members[0].assignment().count == 2)
            #expect(members[0].rebalanceProtocol == (strategy == "cooperative-sticky" ? "COOPERATIVE" : "EAGER"))
            members[1].close()
            try pollUntil("the remaining member has every partition", live: [0]) { held[0] == [0, 1, 2, 3] }
            #expect(try members[0].assignment().map(\.partition) == [0, 1, 2, 3])
            // Only the cooperative protocol gives partitions to a member that keeps some.
            #expect(incremental == (strategy == "cooperative-sticky"))
            members[0].close()
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }
}
