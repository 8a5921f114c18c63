import Foundation
import Logging
import Testing
import WeirRdKafka
import WeirTestSupport

/// `weir run --bootstrap`: pipelines on a cluster (`weir serve --kafka` playing it) instead
/// of the embedded log. A file source's lines reach the cluster topic exactly once across
/// a kill -9 of its runner; runners sharing the sink's group write each line once in all,
/// across a kill -9 of one of them; a topic that exists with other partitions stops the run.
@Suite struct ClusterRunTests {
    static let logger = Logger(label: "test.cluster-run")

    /// Lines in `path` (none when it does not exist).
    static func lines(_ path: String) -> [Substring] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n")
    }

    /// The sum of the partitions' ends of `topic`.
    static func appended(_ address: String, _ topic: String, partitions: Int) throws -> Int64 {
        let consumer = try RdKafkaConsumer(RdKafkaConfiguration(bootstrap: address, [("group.id", "ends")]), logger: logger)
        defer { consumer.close() }
        return try (0..<partitions).reduce(0) { $0 + (try consumer.endOffset(KafkaTopicPartition(topic: topic, partition: Int32($1)))) }
    }

    /// A cluster, 60,000 lines in a file, a pipeline appending them to the 6-partition
    /// topic `lines`, and one carrying that topic into the file `$OUT` (one file for every
    /// runner: where each writes comes from its environment).
    struct Fixture {
        let directory = TemporaryDirectory()
        let cluster: ServingWeir
        let lines = (0..<60_000).map { "line \($0) " + String(repeating: "y", count: $0 % 40) }
        let ingest: String
        let carry: String
        let onCluster: [String]

        init(properties: [String] = []) async throws {
            cluster = try await ServingWeir.start(dataDir: directory.path + "/cluster")
            let input = try directory.write("input.log", lines.joined(separator: "\n") + "\n")
            let topics = "topics: { lines: { partitions: 6, compression: gzip } }"
            ingest = try directory.write(
                "ingest.yaml",
                """
                name: ingest
                \(topics)
                sources:
                  input: { type: file, paths: ["\(input)"], topic: lines }
                """)
            carry = try directory.write(
                "carry.yaml",
                """
                name: carry
                \(topics)
                transforms:
                  parsed: { type: parse_regex, inputs: [lines], pattern: '^line (?P<n>[0-9]+) ' }
                sinks:
                  out: { type: file, inputs: [parsed], path: "${OUT}", encoding: text }
                """)
            // A killed member leaves the group after 6 s (Kafka's minimum), not 45.
            onCluster =
                [
                    "--bootstrap", cluster.address, "--kafka-property", "session.timeout.ms=6000", "--kafka-property",
                    "heartbeat.interval.ms=300",
                ]
                + properties.flatMap { ["--kafka-property", $0] }
        }
    }

    @Test func aKilledSourceRunnerAppendsEveryLineOnce() async throws {
        let fixture = try await Fixture()
        let (address, root, lines, ingest, onCluster) = (
            fixture.cluster.address, fixture.directory.path, fixture.lines, fixture.ingest, fixture.onCluster
        )
        try await onOwnThread {
            let children = Children()
            defer { children.killAll() }
            // Killed once it has appended some, then run again to the end.
            let first = try children.add(
                ChildProcess(Paths.weir, ["run", "--quiet", "--data-dir", root + "/ingest", "--once"] + onCluster + [ingest]))
            _ = try waitUntil("the source appends") { ((try? Self.appended(address, "lines", partitions: 6)) ?? 0) > 0 ? true : nil }
            kill(first.pid, SIGKILL)
            _ = first.wait()
            let rest = try weir(root + "/ingest", ["run", "--once", "--quiet"] + onCluster + [ingest])
            #expect(rest.status == 0, "\(rest.stderr)")
            let topic = try KafkaComponentsTests.readAll(address, "lines", count: lines.count)
            #expect(topic.count == lines.count)
            #expect(topic.map { String(decoding: $0.value, as: UTF8.self) }.sorted() == lines.sorted())
        }
        #expect(fixture.cluster.stop() == 0, "\(fixture.cluster.stderr)")
    }

    /// With each of librdkafka's group protocols: two runners share the partitions, one is
    /// killed (-9) and started again midway, and each line is written once in all.
    @Test(arguments: ["range", "roundrobin", "cooperative-sticky"])
    func runnersSharingTheGroupWriteEachLineOnce(strategy: String) async throws {
        let fixture = try await Fixture(properties: ["partition.assignment.strategy=\(strategy)"])
        let (root, lines, ingest, carry, onCluster) = (
            fixture.directory.path, fixture.lines, fixture.ingest, fixture.carry, fixture.onCluster
        )
        let outputs = ["a", "b"].map { root + "/out-\($0).txt" }
        try await onOwnThread {
            let ingested = try weir(root + "/ingest", ["run", "--once", "--quiet"] + onCluster + [ingest])
            #expect(ingested.status == 0, "\(ingested.stderr)")
            let children = Children()
            defer { children.killAll() }
            func runner(_ index: Int) throws -> ChildProcess {
                try children.add(
                    ChildProcess(
                        Paths.weir, ["run", "--quiet", "--data-dir", root + "/runner-\(index)"] + onCluster + [carry],
                        environment: ["OUT": outputs[index]]))
            }
            var a = try runner(0)
            let b = try runner(1)
            _ = try waitUntil("the runners write", seconds: 90) {
                outputs.map { Self.lines($0).count }.reduce(0, +) > lines.count / 3 ? true : nil
            }
            kill(a.pid, SIGKILL)
            _ = a.wait()
            a = try runner(0)
            _ = try waitUntil("every line is written", seconds: 120) {
                Set(outputs.flatMap { Self.lines($0) }).count == lines.count ? true : nil
            }
            for child in [a, b] {
                kill(child.pid, SIGTERM)
                let status = child.wait()
                // The runner's last words when it did not exit cleanly (it has exited: its stderr is at its end).
                #expect(status == 0, "\(String(decoding: child.stderr.readDataToEndOfFile().suffix(4000), as: UTF8.self))")
            }
        }
        let written = outputs.flatMap { Self.lines($0) }.map(String.init)
        let counts = Dictionary(written.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(counts.values.filter { $0 > 1 }.isEmpty, "duplicated: \(counts.filter { $0.value > 1 }.count)")
        #expect(Set(written) == Set(lines))
        #expect(fixture.cluster.stop() == 0, "\(fixture.cluster.stderr)")
    }

    /// Example pipelines, unchanged, on both logs: their `tests:` cases pass (`weir test`
    /// needs no log), and `weir run --once` writes the same files on the embedded log and
    /// on the cluster.
    @Test(arguments: ["ssh-failed-logins", "hdfs-blocks"])
    func anExamplePipelineWritesTheSameOnBothLogs(example: String) async throws {
        let directory = TemporaryDirectory()
        let cluster = try await ServingWeir.start(dataDir: directory.path + "/cluster")
        let (root, address) = (directory.path, cluster.address)
        let file = Paths.packageRoot + "/pipelines/\(example).yaml"
        try await onOwnThread {
            let tested = try WeirTestSupport.run(Paths.weir, ["test", file])
            #expect(tested.status == 0, "\(tested.stdoutText) \(tested.stderr)")
            var outputs: [[String]] = []
            for (name, extra) in [("embedded", [String]()), ("cluster", ["--bootstrap", address])] {
                let out = root + "/out-\(name)"
                let run = try WeirTestSupport.run(
                    Paths.weir, ["run", "--once", "--quiet", "--data-dir", root + "/data-\(name)"] + extra + [file],
                    environment: ["WEIR_SAMPLES": Paths.packageRoot + "/samples", "WEIR_OUT": out])
                #expect(run.status == 0, "\(name): \(run.stderr)")
                let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
                // Less `_timestamp`: when the source read the line.
                let lines = files.flatMap { Self.lines(out + "/" + $0) }.map {
                    String($0).replacing(#/"_timestamp":[0-9]+,?/#, with: "")
                }
                outputs.append(lines.sorted())
            }
            #expect(!outputs[0].isEmpty)
            #expect(outputs[0] == outputs[1], "embedded \(outputs[0].count) lines, cluster \(outputs[1].count)")
        }
        #expect(cluster.stop() == 0, "\(cluster.stderr)")
    }

    @Test func aTopicWithOtherPartitionsOnTheClusterStopsTheRun() async throws {
        let directory = TemporaryDirectory()
        let cluster = try await ServingWeir.start(dataDir: directory.path + "/cluster")
        let address = cluster.address
        let input = try directory.write("input.log", "one\n")
        let pipeline = try directory.write(
            "p.yaml",
            """
            name: p
            topics: { lines: { partitions: 3 } }
            sources:
              input: { type: file, paths: ["\(input)"], topic: lines }
            """)
        let data = directory.path + "/data"
        try await onOwnThread {
            try RdKafkaAdmin(RdKafkaConfiguration(bootstrap: address)).create(ClusterTopic(name: "lines", partitions: 2))
            let run = try weir(data, ["run", "--once", "--quiet", "--bootstrap", address, pipeline])
            #expect(run.status == 1)
            #expect(run.stderr.contains("topic 'lines' has 2 partitions on the cluster, but the pipeline declares 3"), "\(run.stderr)")
        }
        #expect(cluster.stop() == 0, "\(cluster.stderr)")
    }
}

/// Processes a test started: whatever still runs when it ends is killed.
final class Children: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [ChildProcess] = []

    func add(_ child: ChildProcess) -> ChildProcess {
        lock.withLock { all.append(child) }
        return child
    }

    func killAll() {
        for child in lock.withLock({ all }) where kill(child.pid, 0) == 0 {
            kill(child.pid, SIGKILL)
            _ = child.wait()
        }
    }
}
