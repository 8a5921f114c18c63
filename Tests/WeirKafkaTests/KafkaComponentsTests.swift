import Foundation
import Logging
import Testing
import WeirLog
import WeirRdKafka
import WeirTestSupport

/// The `kafka` sink and source in `weir run`, with `weir serve --kafka` as the cluster: a
/// file shipped to a cluster topic arrives whole; a cluster topic read into a pipeline
/// reaches its file sink exactly once across kill -9s of the runner; a record the cluster
/// refuses goes to the dead-letter topic.
@Suite struct KafkaComponentsTests {
    static let logger = Logger(label: "test.kafka-components")

    /// Every record of `topic` on the cluster, read by a fresh group.
    static func readAll(_ address: String, _ topic: String, count: Int) throws -> [ConsumedMessage] {
        let consumer = try RdKafkaConsumer(
            RdKafkaConfiguration(bootstrap: address, [("group.id", "check-\(UUID().uuidString)"), ("auto.offset.reset", "earliest")]),
            logger: logger)
        defer { consumer.close() }
        try consumer.subscribe([topic])
        return try RdKafkaClientTests.consume(consumer, count: count)
    }

    @Test func aFileIsShippedToAClusterTopicWhole() async throws {
        let directory = TemporaryDirectory()
        let cluster = try await ServingWeir.start(dataDir: directory.path + "/cluster")
        let lines = (0..<20_000).map { "shipped line \($0) " + String(repeating: "x", count: $0 % 50) }
        let input = try directory.write("input.log", lines.joined(separator: "\n") + "\n")
        let pipeline = try directory.write(
            "ship.yaml",
            """
            name: ship
            topics: { lines: { partitions: 2 } }
            sources:
              input: { type: file, paths: ["\(input)"], topic: lines }
            sinks:
              out:
                type: kafka
                inputs: [lines]
                bootstrap: "\(cluster.address)"
                topic: shipped
                encoding: text
                key: '.message matches "[02468] "'
                compression: gzip
            """)
        let (address, data) = (cluster.address, directory.path + "/data")
        try await onOwnThread {
            try RdKafkaAdmin(RdKafkaConfiguration(bootstrap: address)).create(ClusterTopic(name: "shipped", partitions: 3))
            let run = try weir(data, ["run", "--once", "--quiet", pipeline])
            #expect(run.status == 0, "\(run.stderr)")
            let shipped = try Self.readAll(address, "shipped", count: lines.count)
            #expect(shipped.map { String(decoding: $0.value, as: UTF8.self) }.sorted() == lines.sorted())
            // The key expression: "true" or "false", so two keys, each in one partition.
            #expect(Set(shipped.compactMap { $0.key.map { String(decoding: $0, as: UTF8.self) } }) == ["true", "false"])
            #expect(Dictionary(grouping: shipped, by: \.key).values.allSatisfy { Set($0.map(\.partition)).count == 1 })
        }
        #expect(cluster.stop() == 0, "\(cluster.stderr)")
    }

    @Test func aClusterTopicReachesAFileExactlyOnceAcrossKillNine() async throws {
        let directory = TemporaryDirectory()
        let cluster = try await ServingWeir.start(dataDir: directory.path + "/cluster")
        let address = cluster.address
        let output = directory.path + "/out.txt"
        let pipeline = try directory.write(
            "fetch.yaml",
            """
            name: fetch
            topics: { fetched: { partitions: 2 } }
            sources:
              cluster:
                type: kafka
                bootstrap: "\(address)"
                topics: [events]
                group: fetchers
                topic: fetched
                # A killed runner's membership ends after this (Kafka's minimum), not 45 s.
                properties: { session.timeout.ms: 6000, heartbeat.interval.ms: 500 }
            sinks:
              out: { type: file, inputs: [fetched], path: "\(output)", encoding: text }
            """)
        let data = directory.path + "/data"
        let sent = try await onOwnThread { () -> [String] in
            try RdKafkaAdmin(RdKafkaConfiguration(bootstrap: address)).create(ClusterTopic(name: "events", partitions: 4))
            let producer = try RdKafkaProducer(RdKafkaConfiguration(bootstrap: address), logger: Self.logger)
            defer { producer.close() }
            var sent: [String] = []
            /// 5,000 more records, spread over the partitions by key.
            func produce(_ round: Int) throws {
                let values = (0..<5_000).map { "round \(round) event \($0)" }
                let messages = values.enumerated().map {
                    OutgoingMessage(key: Array("k\($0.offset % 13)".utf8), value: Array($0.element.utf8))
                }
                #expect(try producer.produce(topic: "events", messages).isEmpty)
                sent += values
            }
            func writtenCount() -> Int {
                ((try? Data(contentsOf: URL(fileURLWithPath: output))) ?? Data()).reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
            }
            var generator = SeededGenerator(seed: 14)
            for round in 0..<4 {
                try produce(round)
                // A runner that reads while more comes, killed at a random moment.
                let child = try ChildProcess(Paths.weir, ["run", "--quiet", "--data-dir", data, pipeline])
                let before = writtenCount()
                _ = try waitUntil("run \(round) writes records") { writtenCount() > before ? true : nil }
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.3, using: &generator))
                try produce(round + 100)
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.5, using: &generator))
                kill(child.pid, SIGKILL)
                #expect(child.wait() == 128 + SIGKILL)
            }
            // The last run reads to the end of every partition it holds, then stops.
            let last = try weir(data, ["run", "--once", "--quiet", pipeline])
            #expect(last.status == 0, "\(last.stderr)")
            return sent
        }
        let written = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
        let counts = Dictionary(written.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(counts.values.filter { $0 > 1 }.count == 0, "duplicated: \(counts.filter { $0.value > 1 }.prefix(5))")
        #expect(Set(written) == Set(sent), "lost: \(Set(sent).subtracting(written).count)")
        #expect(written.count == sent.count)
        #expect(cluster.stop() == 0, "\(cluster.stderr)")
    }

    @Test func aRecordTheClusterRefusesGoesToTheDeadLetterTopic() async throws {
        let directory = TemporaryDirectory()
        let cluster = try await ServingWeir.start(dataDir: directory.path + "/cluster")
        let address = cluster.address
        let big = String(repeating: "b", count: 5_000)
        let input = try directory.write("input.log", "small one\n\(big)\nsmall two\n")
        let pipeline = try directory.write(
            "refused.yaml",
            """
            name: refused
            topics: { lines: { partitions: 1 } }
            sources:
              input: { type: file, paths: ["\(input)"], topic: lines }
            sinks:
              out:
                type: kafka
                inputs: [lines]
                bootstrap: "\(address)"
                topic: small
                encoding: text
                properties: { message.max.bytes: 2000 }
            """)
        let data = directory.path + "/data"
        try await onOwnThread {
            try RdKafkaAdmin(RdKafkaConfiguration(bootstrap: address)).create(ClusterTopic(name: "small", partitions: 1))
            let run = try weir(data, ["run", "--once", "--quiet", pipeline])
            #expect(run.status == 0, "\(run.stderr)")
            let shipped = try Self.readAll(address, "small", count: 2)
            #expect(shipped.map { String(decoding: $0.value, as: UTF8.self) } == ["small one", "small two"])
        }
        let dlq = try weir(directory.path + "/data", ["consume", "refused.dlq", "--format", "json"])
        #expect(dlq.status == 0, "\(dlq.stderr)")
        #expect(dlq.stdoutText.contains("the cluster refused it"), "\(dlq.stdoutText.prefix(500))")
        #expect(dlq.stdoutText.contains(String(repeating: "b", count: 100)))
        #expect(cluster.stop() == 0, "\(cluster.stderr)")
    }

    /// Two runners in one group, stopped and started so that partitions move from one to
    /// the other and back: a runner that gets a partition back starts where the group's
    /// last holder committed, not where its own log left it. With clean stops (each commits
    /// as it hands over) every record is written once in all.
    @Test func aPartitionThatComesBackStartsWhereItsLastHolderStopped() async throws {
        let directory = TemporaryDirectory()
        let cluster = try await ServingWeir.start(dataDir: directory.path + "/cluster")
        let address = cluster.address
        func pipeline(_ runner: String) throws -> String {
            try directory.write(
                "\(runner).yaml",
                """
                name: \(runner)
                topics: { fetched: { partitions: 1 } }
                sources:
                  cluster:
                    type: kafka
                    bootstrap: "\(address)"
                    topics: [moving]
                    group: movers
                    topic: fetched
                    properties: { session.timeout.ms: 6000, heartbeat.interval.ms: 300 }
                sinks:
                  out: { type: file, inputs: [fetched], path: "\(directory.path)/\(runner).txt", encoding: text }
                """)
        }
        let (a, b) = (try pipeline("a"), try pipeline("b"))
        let (dataA, dataB) = (directory.path + "/data-a", directory.path + "/data-b")
        let outputs = [directory.path + "/a.txt", directory.path + "/b.txt"]
        let sent = try await onOwnThread { () -> [String] in
            try RdKafkaAdmin(RdKafkaConfiguration(bootstrap: address)).create(ClusterTopic(name: "moving", partitions: 2))
            let producer = try RdKafkaProducer(RdKafkaConfiguration(bootstrap: address), logger: Self.logger)
            defer { producer.close() }
            var sent: [String] = []
            func produce(_ phase: String) throws {
                let values = (0..<2_000).map { "\(phase) \($0)" }
                let messages = values.enumerated().map { OutgoingMessage(value: Array($0.element.utf8), partition: Int32($0.offset % 2)) }
                #expect(try producer.produce(topic: "moving", messages).isEmpty)
                sent += values
            }
            func written() -> Int {
                outputs.reduce(0) { total, path in
                    total + ((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()).reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
                }
            }
            func waitForAll() throws { _ = try waitUntil("every record written") { written() >= sent.count ? true : nil } }
            /// A runner whose log lines (its stderr) are kept: it says what the group gives it.
            func start(_ data: String, _ file: String) throws -> BackgroundClient {
                try BackgroundClient(Paths.weir, ["run", "--quiet", "--log-level", "info", "--data-dir", data, file])
            }
            /// Waits until `runner` was given partitions `count` times (a rebalance gives anew).
            func assigned(_ runner: BackgroundClient, times count: Int) throws {
                _ = try waitUntil("a runner is given partitions") {
                    runner.stderr.split(separator: "\n").filter { $0.contains("kafka source assigned") && $0.contains("moving/") }
                        .count >= count ? true : nil
                }
            }
            func stop(_ runner: BackgroundClient) {
                #expect(runner.stop(signal: SIGTERM) == 0, "\(runner.stderr.suffix(2000))")
            }

            let first = try start(dataA, a)
            try assigned(first, times: 1)
            try produce("a alone")
            try waitForAll()
            // b joins: the two split the partitions.
            let second = try start(dataB, b)
            try assigned(second, times: 1)
            try produce("shared")
            try waitForAll()
            // a leaves (committing as it hands over): b takes a's partition and reads on.
            stop(first)
            try assigned(second, times: 2)
            try produce("b alone")
            try waitForAll()
            // a comes back: the partition it gets was read on by b meanwhile.
            let again = try start(dataA, a)
            try assigned(again, times: 1)
            try produce("shared again")
            try waitForAll()
            stop(again)
            stop(second)
            return sent
        }
        let written = try outputs.flatMap { path in
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        let counts = Dictionary(written.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(counts.values.filter { $0 > 1 }.count == 0, "written twice")
        #expect(Set(written) == Set(sent))
        #expect(cluster.stop() == 0, "\(cluster.stderr)")
    }

    /// `--once` ends when there is nothing to read: from the end (`start: latest`), on an
    /// empty topic, and for a runner the group gives no partition.
    @Test func onceEndsWithNothingToRead() async throws {
        let directory = TemporaryDirectory()
        let cluster = try await ServingWeir.start(dataDir: directory.path + "/cluster")
        let address = cluster.address
        func pipeline(_ name: String, topic: String, start: String) throws -> String {
            try directory.write(
                "\(name).yaml",
                """
                name: \(name)
                topics: { fetched: { partitions: 1 } }
                sources:
                  cluster: { type: kafka, bootstrap: "\(address)", topics: [\(topic)], group: \(name), start: \(start), topic: fetched }
                sinks:
                  out: { type: file, inputs: [fetched], path: "\(directory.path)/\(name).txt", encoding: text }
                """)
        }
        let latest = try pipeline("latest", topic: "full", start: "latest")
        let empty = try pipeline("empty", topic: "nothing", start: "earliest")
        let data = directory.path + "/data"
        try await onOwnThread {
            let admin = try RdKafkaAdmin(RdKafkaConfiguration(bootstrap: address))
            try admin.create(ClusterTopic(name: "full", partitions: 2))
            try admin.create(ClusterTopic(name: "nothing", partitions: 1))
            let producer = try RdKafkaProducer(RdKafkaConfiguration(bootstrap: address), logger: Self.logger)
            #expect(try producer.produce(topic: "full", (0..<100).map { OutgoingMessage(value: Array("old \($0)".utf8)) }).isEmpty)
            producer.close()
            for file in [latest, empty] {
                let run = try weir(data, ["run", "--once", "--quiet", file])
                #expect(run.status == 0, "\(run.stderr)")
            }
        }
        #expect(((try? String(contentsOfFile: directory.path + "/latest.txt", encoding: .utf8)) ?? "").isEmpty)
        #expect(((try? String(contentsOfFile: directory.path + "/empty.txt", encoding: .utf8)) ?? "").isEmpty)
        #expect(cluster.stop() == 0, "\(cluster.stderr)")
    }
}
