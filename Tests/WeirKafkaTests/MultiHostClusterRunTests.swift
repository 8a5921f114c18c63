import Foundation
import Synchronization
import Testing
import WeirLog
import WeirTestSupport

/// `weir run --bootstrap` across hosts (network namespaces, `TestHosts`): a `weir serve`
/// with SASL/SCRAM users on host "cluster"; on host "ingest", a pipeline tailing a file
/// (rotated midway) into the cluster's 6-partition topic `events`; on hosts r1, r2, r3, one
/// pipeline file, unchanged, whose file sink is a member of one consumer group on the
/// cluster. While lines keep coming, r1's `weir` is killed (-9) and started again later,
/// and r2's link is cut for longer than the session timeout, then restored. At the end the
/// union of the three output files holds every line exactly once, and no partition was
/// held by two runners at once except by one that was cut off (its output since its last
/// commit is cut back when it learns so).
@Suite struct MultiHostClusterRunTests {
    static let runners = ["r1", "r2", "r3"]
    static let rounds = 80
    static let linesPerRound = 375

    @Test func threeRunnersShareTheGroupAcrossAKillAndACutExactlyOnce() async throws {
        try await TestHosts.withHosts(["cluster", "ingest"] + Self.runners, "multi-host cluster run test") { try Self.scenario($0, $1) }
    }

    /// The whole run, blocking (on a thread of its own).
    static func scenario(_ hosts: TestHosts, _ directory: TemporaryDirectory) throws {
        let bootstrap = hosts.address("cluster") + ":9092"
        let password = UUID().uuidString
        let users = try directory.write("users", "# the one user of this test\nweir:\(password)\n")
        let clusterData = directory.path + "/cluster"
        let cluster = try hosts.spawn(
            host: "cluster", Paths.weir, ["serve", "--kafka", bootstrap, "--kafka-users", users, "--data-dir", clusterData])
        try MultiHostKafkaSourceTests.waitFor(cluster, "weir serve", "serving Kafka clients on")
        // The one configuration change from the embedded log: where the cluster is, and how to log in.
        let onCluster = [
            "--bootstrap", bootstrap, "--kafka-property", "security.protocol=SASL_PLAINTEXT", "--kafka-property",
            "sasl.mechanism=SCRAM-SHA-256", "--kafka-property", "sasl.username=weir", "--kafka-property", "sasl.password=\(password)",
            // A member cut off or killed leaves the group after 6 s (Kafka's minimum).
            "--kafka-property", "session.timeout.ms=6000", "--kafka-property", "heartbeat.interval.ms=500",
        ]
        let topics = "topics: { events: { partitions: 6, compression: gzip } }"

        let input = directory.path + "/input.log"
        _ = FileManager.default.createFile(atPath: input, contents: nil)
        let ingestPipeline = try directory.write(
            "ingest.yaml",
            """
            name: ingest
            \(topics)
            sources:
              input: { type: tail, paths: ["\(input)*"], topic: events }
            """)
        let ingest = try hosts.spawn(
            host: "ingest", Paths.weir, ["run", "--quiet", "--data-dir", directory.path + "/ingest"] + onCluster + [ingestPipeline])

        // One pipeline file for every runner; each writes where its environment says.
        let carry = try directory.write(
            "carry.yaml",
            """
            name: carry
            \(topics)
            sinks:
              out: { type: file, inputs: [events], path: "${OUT}", encoding: text }
            """)
        func output(_ runner: String) -> String { directory.path + "/\(runner).out" }
        func start(_ runner: String) throws -> BackgroundClient {
            try hosts.spawn(
                host: runner, "/usr/bin/env",
                ["OUT=\(output(runner))", Paths.weir, "run", "--quiet", "--log-level", "info", "--log-format", "json", "--data-dir"]
                    + [directory.path + "/\(runner)"] + onCluster + [carry])
        }
        var incarnations: [MultiHostKafkaSourceTests.Incarnation] = []
        for runner in runners { incarnations.append(.init(runner: runner, process: try start(runner))) }
        for incarnation in incarnations {
            try MultiHostKafkaSourceTests.waitFor(incarnation.process, incarnation.runner, "partitions assigned")
        }

        // Lines in rounds, half a second apart; r1 killed and restarted, r2 cut and restored,
        // the file rotated.
        var sent: [String] = []
        for round in 0..<rounds {
            let lines = (0..<linesPerRound).map { "event \(round * linesPerRound + $0)" }
            let appender = try #require(FileHandle(forWritingAtPath: input))
            try appender.seekToEnd()
            try appender.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
            try appender.close()
            sent += lines
            switch round {
            case 8:
                #expect(incarnations[0].process.stop(signal: SIGKILL) == 128 + SIGKILL)
                incarnations[0].end = Date()
                incarnations[0].killed = true
            case 24:
                incarnations.append(.init(runner: "r1", process: try start("r1")))
            case 36:
                try hosts.cut("r2")
            case 44:
                try FileManager.default.moveItem(atPath: input, toPath: input + ".1")
                _ = FileManager.default.createFile(atPath: input, contents: nil)
            case 58:
                try hosts.restore("r2")
            default:
                break
            }
            Thread.sleep(forTimeInterval: 0.5)
        }

        let expected = Set(sent)
        do {
            _ = try waitUntil("the runners' files hold every line", seconds: 120) { () -> Bool? in
                let written = runners.map { MultiHostKafkaSourceTests.lineCount(output($0)) }.reduce(0, +)
                guard written >= expected.count else { return nil }
                return expected.isSubset(of: Set(runners.flatMap { MultiHostKafkaSourceTests.lines(of: output($0)) })) ? true : nil
            }
        } catch {
            for incarnation in incarnations {
                print("\(incarnation.runner) stderr: \(incarnation.process.stderr.suffix(3000))")
            }
            print("ingest stderr: \(ingest.stderr.suffix(3000))")
            throw error
        }

        // Holdings are compared up to here: what happens while stopping is not looked at.
        let stopping = Date()
        MultiHostKafkaSourceTests.stopAll(incarnations)
        #expect(ingest.stop() == 0, "ingest: \(ingest.stderr.suffix(2000))")
        #expect(cluster.stop() == 0, "cluster: \(cluster.stderr.suffix(2000))")

        // The cluster's topic holds every line once.
        let log = try EmbeddedLog(directory: clusterData)
        let records = try readAll(try log.topic("events"))
        try log.close()
        #expect(records.count == sent.count, "the cluster's topic holds \(records.count) records for \(sent.count) lines")

        // Every line in the union of the outputs, once.
        let written = runners.flatMap { MultiHostKafkaSourceTests.lines(of: output($0)) }
        let counts = Dictionary(written.map { ($0, 1) }, uniquingKeysWith: +)
        let repeated = counts.filter { $0.value > 1 }
        #expect(
            Set(written) == expected,
            "missing: \(expected.subtracting(written).count), unexpected: \(Set(written).subtracting(expected).count)")
        #expect(repeated.isEmpty, "\(repeated.count) lines written more than once, e.g. \(repeated.keys.sorted().prefix(3))")
        for runner in runners {
            print("\(runner) wrote \(MultiHostKafkaSourceTests.lines(of: output(runner)).count) lines")
        }

        var holdings: [MultiHostKafkaSourceTests.Holding] = []
        for incarnation in incarnations {
            holdings += try MultiHostKafkaSourceTests.Holding.parse(
                incarnation.process.stderr, runner: incarnation.runner, end: incarnation.end ?? stopping, until: stopping,
                assigned: "partitions assigned", revoked: "partitions revoked")
        }
        for holding in holdings.sorted(by: { ($0.partition, $0.start) < ($1.partition, $1.start) }) { print("holding: \(holding)") }
        #expect(holdings.contains { $0.runner == "r2" && $0.lost }, "r2 learnt it was cut off")
        MultiHostKafkaSourceTests.expectOneHolderAtATime(holdings)
    }
}
