import Foundation
import Synchronization
import Testing
import WeirLog
import WeirTestSupport

/// The `kafka` source across hosts (network namespaces, `TestHosts`): a `weir serve` with
/// SASL users on host "cluster", a `weir run` on host "ingest" shipping a tailed file to
/// the cluster's 6-partition topic `events`, and three `weir run`s (hosts r1, r2, r3) in
/// one consumer group each writing what it reads to a file of its own. While lines keep
/// coming, r1 is killed (-9) and restarted later, and r2's link is cut for longer than
/// the session timeout, then restored. Every line reaches the union of the three files;
/// no runner writes a line twice (exactly once for what a runner keeps, across its
/// kill -9); a line written by two runners is one of a partition that moved, and was
/// written by a holder that lost it uncleanly (killed, or cut off); and no partition is
/// held by two runners at once, except by one that was cut off.
@Suite struct MultiHostKafkaSourceTests {
    static let runners = ["r1", "r2", "r3"]
    static let rounds = 80
    static let linesPerRound = 375

    @Test func threeRunnersShareAClusterTopicAcrossAKillAndACut() async throws {
        try await TestHosts.withHosts(["cluster", "ingest"] + Self.runners, "multi-host kafka source test") { try Self.scenario($0, $1) }
    }

    /// The whole run, blocking (on a thread of its own).
    static func scenario(_ hosts: TestHosts, _ directory: TemporaryDirectory) throws {
        let bootstrap = hosts.address("cluster") + ":9092"
        let password = UUID().uuidString
        // A plain password line: the listener salts it; the clients use SCRAM-SHA-256.
        let users = try directory.write("users", "# the one user of this test\nweir:\(password)\n")
        let sasl = "security.protocol: SASL_PLAINTEXT, sasl.mechanism: SCRAM-SHA-256, sasl.username: weir, sasl.password: \"\(password)\""

        // The topic is made in the cluster's data directory before it serves it.
        let clusterData = directory.path + "/cluster"
        let created = try weir(clusterData, ["topics", "create", "events", "--partitions", "6"])
        guard created.status == 0 else { throw Failure(description: "weir topics create: \(created.stderr)") }
        let cluster = try hosts.spawn(
            host: "cluster", Paths.weir, ["serve", "--kafka", bootstrap, "--kafka-users", users, "--data-dir", clusterData])
        try waitFor(cluster, "weir serve", "serving Kafka clients on")

        let input = try directory.write("input.log", "")
        let ingestPipeline = try directory.write(
            "ingest.yaml",
            """
            name: ingest
            topics: { lines: { partitions: 1 } }
            sources:
              input: { type: tail, paths: ["\(input)"], topic: lines }
            sinks:
              out:
                type: kafka
                inputs: [lines]
                bootstrap: "\(bootstrap)"
                topic: events
                encoding: text
                key: .message
                properties: { \(sasl) }
            """)
        let ingest = try hosts.spawn(
            host: "ingest", Paths.weir, ["run", "--quiet", "--data-dir", directory.path + "/ingest", ingestPipeline])

        func output(_ runner: String) -> String { directory.path + "/\(runner).out" }
        func start(_ runner: String) throws -> BackgroundClient {
            let pipeline = try directory.write(
                "\(runner).yaml",
                """
                name: fetch
                topics: { fetched: { partitions: 1 } }
                sources:
                  cluster:
                    type: kafka
                    bootstrap: "\(bootstrap)"
                    topics: [events]
                    group: runners
                    topic: fetched
                    # A member cut off or killed leaves the group after 6 s (Kafka's minimum).
                    properties: { \(sasl), session.timeout.ms: 6000, heartbeat.interval.ms: 500 }
                sinks:
                  out: { type: file, inputs: [fetched], path: "\(output(runner))", encoding: text }
                """)
            return try hosts.spawn(
                host: runner, Paths.weir,
                ["run", "--quiet", "--log-level", "info", "--log-format", "json", "--data-dir", directory.path + "/\(runner)", pipeline])
        }
        var incarnations: [Incarnation] = []
        for runner in runners { incarnations.append(Incarnation(runner: runner, process: try start(runner))) }
        for incarnation in incarnations { try waitFor(incarnation.process, incarnation.runner, "kafka source assigned") }

        // Lines in rounds, half a second apart; r1 killed and restarted, r2 cut and restored.
        var sent: [String] = []
        let appender = try #require(FileHandle(forWritingAtPath: input))
        defer { try? appender.close() }
        for round in 0..<rounds {
            let lines = (0..<linesPerRound).map { "event \(round * linesPerRound + $0)" }
            try appender.seekToEnd()
            try appender.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
            sent += lines
            switch round {
            case 8:
                #expect(incarnations[0].process.stop(signal: SIGKILL) == 128 + SIGKILL)
                incarnations[0].end = Date()
                incarnations[0].killed = true
            case 24:
                incarnations.append(Incarnation(runner: "r1", process: try start("r1")))
            case 36:
                try hosts.cut("r2")
            case 58:
                try hosts.restore("r2")
            default:
                break
            }
            Thread.sleep(forTimeInterval: 0.5)
        }

        let expected = Set(sent)
        _ = try waitUntil("the runners' files hold every line", seconds: 120) { () -> Bool? in
            let written = runners.map { lineCount(output($0)) }.reduce(0, +)
            guard written >= expected.count else { return nil }
            return expected.isSubset(of: Set(runners.flatMap { lines(of: output($0)) })) ? true : nil
        }

        // Holdings are compared up to here: what happens while stopping is not looked at.
        let stopping = Date()
        stopAll(incarnations)
        #expect(ingest.stop() == 0, "ingest: \(ingest.stderr.suffix(2000))")
        #expect(cluster.stop() == 0, "cluster: \(cluster.stderr.suffix(2000))")

        // Where each line is in the cluster's topic.
        let log = try EmbeddedLog(directory: clusterData)
        let records = try readAll(try log.topic("events"))
        try log.close()
        let partitionOf = Dictionary(
            records.map { (String(decoding: $0.record.value ?? [], as: UTF8.self), $0.partition) }, uniquingKeysWith: { first, _ in first })
        #expect(records.count == sent.count, "the cluster's topic holds \(records.count) records for \(sent.count) lines")

        let written = Dictionary(uniqueKeysWithValues: runners.map { ($0, lines(of: output($0))) })
        // Everything arrived, and nothing else.
        let union = Set(written.values.joined())
        #expect(union == expected, "missing: \(expected.subtracting(union).count), unexpected: \(union.subtracting(expected).count)")
        // Exactly once per runner: a runner's positions are its own log's, across its kill -9.
        for (runner, lines) in written.sorted(by: { $0.key < $1.key }) {
            let repeated = Dictionary(lines.map { ($0, 1) }, uniquingKeysWith: +).filter { $0.value > 1 }
            #expect(repeated.isEmpty, "\(runner) wrote \(repeated.count) lines more than once, e.g. \(repeated.keys.sorted().prefix(3))")
        }

        var holdings: [Holding] = []
        for incarnation in incarnations {
            holdings += try Holding.parse(
                incarnation.process.stderr, runner: incarnation.runner, end: incarnation.end ?? stopping, until: stopping)
        }
        for holding in holdings.sorted(by: { ($0.partition, $0.start) < ($1.partition, $1.start) }) { print("holding: \(holding)") }

        // Duplicates across runners: at least once across a move, so only where a partition
        // moved away from a runner that could not commit where it was (killed, or cut off and
        // its partitions lost), and only lines that runner wrote itself.
        let unclean = Set(holdings.filter { $0.killed || $0.lost }.map { Held(runner: $0.runner, partition: $0.partition) })
        let writtenBy = Dictionary(uniqueKeysWithValues: runners.map { ($0, Set(written[$0, default: []])) })
        var duplicates: [Int: Int] = [:]
        var unexcused: [String] = []
        /// Lines each unclean holder wrote of the partition it lost: the most duplicates there can be.
        var bound = 0
        for line in sent {
            guard let partition = partitionOf[line] else { continue }
            let writers = runners.filter { writtenBy[$0, default: []].contains(line) }
            bound += writers.filter { unclean.contains(Held(runner: $0, partition: partition)) }.count
            guard writers.count > 1 else { continue }
            duplicates[partition, default: 0] += writers.count - 1
            if !writers.contains(where: { unclean.contains(Held(runner: $0, partition: partition)) }) {
                unexcused.append("\(line) (p\(partition), \(writers))")
            }
        }
        let duplicateCount = duplicates.values.reduce(0, +)
        print("duplicates across runners: \(duplicateCount) of at most \(bound) (by partition: \(duplicates.sorted { $0.key < $1.key }))")
        #expect(
            unexcused.count == 0,
            "\(unexcused.count) lines written twice, by runners none of which lost the line's partition uncleanly, e.g. \(unexcused.prefix(3))"
        )
        #expect(duplicateCount <= bound, "\(duplicateCount) duplicates, more than the \(bound) lines unclean holders wrote")

        expectOneHolderAtATime(holdings)
    }

    /// SIGTERMs every runner not killed, all at once (one at a time, each stop would move
    /// partitions to the others), and expects each to exit 0.
    static func stopAll(_ incarnations: [Incarnation]) {
        let running = incarnations.filter { !$0.killed }
        let statuses = Mutex([Int32](repeating: -1, count: running.count))
        DispatchQueue.concurrentPerform(iterations: running.count) { index in
            let status = running[index].process.stop()
            statuses.withLock { $0[index] = status }
        }
        for (incarnation, status) in zip(running, statuses.withLock { $0 }) {
            #expect(status == 0, "\(incarnation.runner): \(incarnation.process.stderr.suffix(2000))")
        }
    }

    /// One holder of a partition at a time, except one cut off: its holding ends where it
    /// learns the partitions were lost, after the group gave them to another.
    static func expectOneHolderAtATime(_ holdings: [Holding]) {
        for (index, a) in holdings.enumerated() {
            for b in holdings[(index + 1)...] where a.partition == b.partition && a.runner != b.runner {
                let overlap = a.start < b.end && b.start < a.end
                #expect(!overlap || a.lost || b.lost, "partition \(a.partition) held at once: \(a) and \(b)")
            }
        }
    }

    /// A runner holding a partition.
    struct Held: Hashable {
        let runner: String
        let partition: Int
    }

    /// One `weir run` of a runner host, and when it was killed (nil while it runs).
    struct Incarnation {
        let runner: String
        let process: BackgroundClient
        var end: Date?
        var killed = false
    }

    /// A partition held by a runner from its "kafka source assigned" line to its "kafka
    /// source revoked" line (`lost`: the group had already given it away), or to the
    /// runner's kill (`killed`) or the moment the test began stopping everything.
    struct Holding: CustomStringConvertible {
        let runner: String
        let partition: Int
        let start: Date
        let end: Date
        var lost = false
        var killed = false

        var description: String {
            let times = "\(Self.clock(start))–\(Self.clock(end))"
            return "\(runner) p\(partition) \(times)\(lost ? " lost" : "")\(killed ? " killed" : "")"
        }

        static func clock(_ date: Date) -> String {
            String(format: "%.3f", date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1000))
        }

        /// The holdings of one incarnation's JSON log (`--log-format json`), each cut at
        /// `until`; those still held at `end` (its kill, or `until`) end there.
        static func parse(
            _ stderr: String, runner: String, end: Date, until: Date, assigned: String = "kafka source assigned",
            revoked: String = "kafka source revoked"
        ) throws -> [Holding] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            var open: [Int: Date] = [:]
            var holdings: [Holding] = []
            for line in stderr.split(separator: "\n") where line.contains(assigned) || line.contains(revoked) {
                let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let metadata = entry["metadata"] as? [String: String] ?? [:]
                let time = try #require((entry["time"] as? String).flatMap(formatter.date(from:)), "\(line)")
                let partitions = (metadata["partitions"] ?? "").split(separator: "/").dropFirst().compactMap {
                    Int($0.prefix { $0.isNumber })
                }
                switch entry["message"] as? String {
                case assigned:
                    for partition in partitions where time < until { open[partition] = time }
                case revoked:
                    for partition in partitions {
                        guard let start = open.removeValue(forKey: partition) else { continue }
                        holdings.append(
                            Holding(
                                runner: runner, partition: partition, start: start, end: min(time, until), lost: metadata["lost"] == "true")
                        )
                    }
                default:
                    break
                }
            }
            for (partition, start) in open {
                holdings.append(Holding(runner: runner, partition: partition, start: start, end: end, killed: end < until))
            }
            return holdings
        }
    }

    /// Waits until `process` has logged `text` on stderr.
    static func waitFor(_ process: BackgroundClient, _ name: String, _ text: String) throws {
        do {
            _ = try waitUntil("\(name) logs \"\(text)\"") { process.stderr.contains(text) ? true : nil }
        } catch {
            throw Failure(description: "\(error); its stderr: \(process.stderr.suffix(2000))")
        }
    }

    static func lines(of path: String) -> [String] {
        WeirTestSupport.lines(of: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
    }

    static func lineCount(_ path: String) -> Int {
        ((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()).reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
    }
}
