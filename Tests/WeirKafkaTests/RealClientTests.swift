import Foundation
import Testing
import WeirLog
import WeirTestSupport

/// kcat (librdkafka 2.0.2), confluent-kafka (its wheel's librdkafka), kafka-python and
/// aiokafka against `weir serve --kafka`: what users of those tools will do.
/// `scripts/bootstrap --test` installs them.
@Suite struct KcatTests {
    @Test func listsTopicsPartitionsAndTheBroker() async throws {
        let bench = try await WireBench.start(topics: ["logs": 3, "metrics": 1])
        let listed = try await Clients.run(Clients.kcat, ["-b", bench.address, "-L"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let text = listed.stdoutText
        #expect(text.contains("broker 0 at \(bench.address) (controller)"))
        #expect(text.contains("topic \"logs\" with 3 partitions"))
        #expect(text.contains("topic \"metrics\" with 1 partitions"))
        #expect(text.contains("partition 2, leader 0, replicas: 0, isrs: 0"))
        #expect(try await bench.finish() == 0)
    }

    /// Each loghub file is one message (CRLF endings, a last line without newline and
    /// all): they come back byte for byte, in order.
    @Test func loghubFilesComeBackByteForByte() async throws {
        let bench = try await WireBench.start(topics: ["loghub": 1])
        let files = Paths.loghubFiles.map { $0.hasPrefix("/") ? $0 : Paths.loghub + "/" + $0 }
        #expect(files.count == 16)
        let produced = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-P", "-t", "loghub", "-X", "message.max.bytes=10000000"] + files)
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-C", "-t", "loghub", "-e", "-o", "beginning", "-q", "-f", "%s"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let expected = try files.reduce(into: Data()) { $0.append(try Data(contentsOf: URL(fileURLWithPath: $1))) }
        #expect(consumed.stdout == expected)
        #expect(try await bench.finish() == 0)
    }

    /// With kcat told to use murmur2 (Java's and Weir's partitioner; librdkafka's default
    /// differs), keyed records land where `weir produce` puts them.
    @Test func keyedRecordsLandInWeirsPartition() async throws {
        let bench = try await WireBench.start(topics: ["keyed": 4])
        let keys = (0..<200).map { "host-\($0)" }
        let input = Data(keys.map { "\($0)\tvalue of \($0)\n" }.joined().utf8)
        let produced = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-P", "-t", "keyed", "-K", "\t", "-X", "partitioner=murmur2_random"], input: input)
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-C", "-t", "keyed", "-e", "-o", "beginning", "-q", "-f", "%k %p\n"])
        let placed = Dictionary(
            consumed.stdoutText.split(separator: "\n").map { line -> (String, Int) in
                let parts = line.split(separator: " ")
                return (String(parts[0]), Int(parts[1])!)
            }, uniquingKeysWith: { $1 })
        #expect(placed.count == 200)
        for key in keys {
            let expected = Array(key.utf8).withUnsafeBytes { Partitioner.partition(forKey: $0, partitionCount: 4) }
            #expect(placed[key] == expected, "key \(key)")
        }
        #expect(Set(placed.values) == [0, 1, 2, 3])
        #expect(try await bench.finish() == 0)
    }

    /// Two `kcat -G` in one group split the partitions; when one leaves, the other takes
    /// them all.
    @Test func groupConsumersSplitAndTheSurvivorTakesAll() async throws {
        let bench = try await WireBench.start(topics: ["shared": 4])
        let arguments = ["-b", bench.address, "-G", "pair", "shared", "-X", "heartbeat.interval.ms=500", "-o", "beginning"]
        let first = try BackgroundClient(Clients.kcat, arguments)
        try await first.waitFor("the first consumer owns every partition") { _, err in Self.lastAssignment(err)?.count == 4 }
        let second = try BackgroundClient(Clients.kcat, arguments)
        try await second.waitFor("the two consumers split the partitions") { [first] _, err in
            guard let mine = Self.lastAssignment(err), let theirs = Self.lastAssignment(first.stderr) else { return false }
            return mine.count == 2 && theirs.count == 2 && mine.isDisjoint(with: theirs)
        }
        second.stop()
        try await first.waitFor("the survivor owns every partition again") { _, err in Self.lastAssignment(err)?.count == 4 }
        first.stop()
        #expect(try await bench.finish() == 0)
    }

    /// The partitions of kcat's last "assigned:" line on stderr.
    static func lastAssignment(_ stderr: String) -> Set<Int>? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.contains("rebalanced") && $0.contains("assigned:") }) else {
            return nil
        }
        let assigned = line.split(separator: "assigned:", maxSplits: 1).last ?? ""
        return Set(
            assigned.split(separator: ",").compactMap { part in
                part.split(separator: "[").last.flatMap { Int($0.prefix { $0.isNumber }) }
            })
    }
}

@Suite struct PythonClientTests {
    /// 200,000 records from an idempotent producer (acks=all), consumed by a group of
    /// three processes, one killed with SIGKILL midway: every record arrives, and the
    /// committed offsets reach the end (lag 0), as `weir groups describe` shows too.
    @Test(arguments: ["none", "gzip"])
    func confluentKafkaProducesAndAGroupOfThreeConsumes(compression: String) async throws {
        let bench = try await WireBench.start()
        let (result, summary) = try await Clients.script(
            "confluent_roundtrip.py",
            [
                "--bootstrap", bench.address, "--topic", "events", "--partitions", "6", "--records", "200000", "--consumers", "3",
                "--kill-one", "--compression", compression, "--group", "trio", "--timeout", "200",
            ])
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        #expect(summary["ok"] as? Bool == true)
        #expect(summary["distinct_consumed"] as? Int == 200_000)
        // At least once: the killed member's last batch may be delivered again, nothing more.
        #expect((summary["duplicates"] as? Int ?? .max) <= 10_000)
        #expect(try await bench.finish() == 0)
        // The group's offsets as Weir sees them: one set, whichever client committed.
        let described = try await weirCommand(bench.dataDir, ["groups", "describe", "trio", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(described.utf8)) as? [String: Any])
        let partitions = try #require(object["partitions"] as? [[String: Any]])
        #expect(partitions.count == 6)
        #expect(partitions.allSatisfy { $0["lag"] as? Int == 0 })
        #expect(partitions.reduce(0) { $0 + ($1["committed"] as? Int ?? 0) } == 200_000)
    }

    /// kafka-python 3 (idempotent by default): an admin client creates the topic, reads
    /// its configs and deletes it; records go round a group with commits.
    @Test func kafkaPythonRoundTripWithAdmin() async throws {
        let bench = try await WireBench.start()
        let (result, summary) = try await Clients.script(
            "kafka_python_roundtrip.py", ["--bootstrap", bench.address, "--topic", "kp", "--records", "5000", "--timeout", "120"])
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        #expect(summary["ok"] as? Bool == true)
        #expect(summary["distinct_consumed"] as? Int == 5000)
        let configs = summary["configs"] as? [String: String] ?? [:]
        #expect(configs["retention.ms"] == "604800000")
        #expect(configs["cleanup.policy"] == "delete")
        #expect(summary["deleted"] as? Bool == true)
        #expect(try await bench.finish() == 0)
    }

    @Test func aiokafkaRoundTrip() async throws {
        let bench = try await WireBench.start(topics: ["aio": 3])
        let (result, summary) = try await Clients.script(
            "aiokafka_roundtrip.py",
            ["--bootstrap", bench.address, "--topic", "aio", "--records", "5000", "--idempotent", "--timeout", "120"])
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        #expect(summary["ok"] as? Bool == true)
        #expect(summary["distinct_consumed"] as? Int == 5000)
        #expect(try await bench.finish() == 0)
    }

    /// Offsets one client commits are the ones another reads: confluent-kafka's group
    /// commits, then kafka-python's consumer in the same group starts where it stopped.
    @Test func offsetsCommittedByOneClientAreReadByAnother() async throws {
        let bench = try await WireBench.start(topics: ["handoff": 2])
        let input = Data((0..<100).map { "first-\($0)\n" }.joined().utf8)
        _ = try await Clients.run(Clients.kcat, ["-b", bench.address, "-P", "-t", "handoff"], input: input)
        let (first, _) = try await Clients.script(
            "live_consumer.py", ["--bootstrap", bench.address, "--topic", "handoff", "--group", "relay", "--count", "100"])
        #expect(first.status == 0, "\(first.stderr.suffix(1000))")
        let more = Data((0..<10).map { "second-\($0)\n" }.joined().utf8)
        _ = try await Clients.run(Clients.kcat, ["-b", bench.address, "-P", "-t", "handoff"], input: more)
        let read = try await Clients.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import json
                from kafka import KafkaConsumer
                c = KafkaConsumer("handoff", bootstrap_servers="\(bench.address)", group_id="relay",
                                  auto_offset_reset="earliest", consumer_timeout_ms=3000)
                print(json.dumps(sorted(m.value.decode() for m in c)))
                """,
            ])
        let values = (try? JSONSerialization.jsonObject(with: Data(read.stdoutText.utf8))) as? [String]
        #expect(values == (0..<10).map { "second-\($0)" }.sorted(), "\(read.stderr.suffix(1000))")
        #expect(try await bench.finish() == 0)
    }
}

/// The broker dies (kill -9) while an idempotent producer sends with acks=all into a
/// topic flushed on every append: after a restart, every acknowledged record is in the
/// log exactly once, retries included.
@Suite struct BrokerCrashTests {
    @Test func acknowledgedRecordsSurviveKillNineOnce() async throws {
        let bench = try await WireBench.start()
        _ = try await bench.finish()
        try await weirCommand(bench.dataDir, ["topics", "create", "durable", "--partitions", "2", "--flush", "always"])
        var serving = try await ServingWeir.start(dataDir: bench.dataDir)
        let port = serving.port
        let producer = try BackgroundClient(
            "/usr/bin/env",
            [
                "python3", Clients.scripts + "/acked_producer.py", "--bootstrap", serving.address, "--topic", "durable", "--records",
                "20000", "--timeout", "90",
            ])
        try await producer.waitFor("a few thousand records acknowledged") { out, _ in out.components(separatedBy: "acked ").count > 3000 }
        _ = try await serving.crashed()
        serving = try await ServingWeir.start(dataDir: bench.dataDir, extra: ["--kafka", "127.0.0.1:\(port)"])
        let status = try await producer.exited()
        #expect(status == 0, "\(producer.stderr.suffix(2000))")
        let acked = Set(producer.stdout.split(separator: "\n").filter { $0.hasPrefix("acked ") }.map { "rec-" + $0.dropFirst(6) })
        #expect(acked.count == 20000)
        #expect(serving.stop() == 0)
        let stored = try await weirCommand(bench.dataDir, ["consume", "durable", "--from", "earliest"])
            .split(separator: "\n").map(String.init)
        #expect(stored.count == Set(stored).count, "a record was appended twice")
        #expect(Set(stored).isSuperset(of: acked))
    }
}

/// `weir run --kafka`: the pipelines' log served while they run.
@Suite struct RunWithListenerTests {
    /// A tail source appends while an outside confluent-kafka consumer reads the topic live.
    @Test func outsideConsumerReadsWhatATailAppends() async throws {
        let directory = TemporaryDirectory()
        let input = try directory.write("input.log", "")
        let pipeline = try directory.write(
            "tail.yaml",
            """
            name: tail-served
            topics:
              lines: { partitions: 2 }
            sources:
              input: { type: tail, paths: ["\(input)"], topic: lines }
            sinks:
              drop: { type: blackhole, inputs: [lines] }
            """)
        let run = try BackgroundClient(
            Paths.weir,
            ["run", "--quiet", "--kafka", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", directory.path + "/data", pipeline])
        try await run.waitFor("weir run serves Kafka clients") { _, err in err.contains("serving Kafka clients on ") }
        let address = String(run.stderr.components(separatedBy: "serving Kafka clients on ")[1].prefix { !$0.isWhitespace })
        let consumer = try BackgroundClient(
            "/usr/bin/env",
            [
                "python3", Clients.scripts + "/live_consumer.py", "--bootstrap", address, "--topic", "lines", "--group", "watchers",
                "--count", "500", "--timeout", "60",
            ])
        try await consumer.waitFor("the consumer has its partitions") { out, _ in out.contains("ready") }
        let handle = try #require(FileHandle(forWritingAtPath: input))
        for batch in 0..<5 {
            try handle.write(contentsOf: Data((0..<100).map { "line \(batch * 100 + $0)\n" }.joined().utf8))
        }
        try handle.close()
        let status = try await consumer.exited()
        #expect(status == 0, "\(consumer.stdout) \(consumer.stderr.suffix(1000))")
        // The listener's metrics are in /metrics.
        let http = String(run.stderr.components(separatedBy: "on http://")[1].prefix { !$0.isWhitespace })
        let metrics = try await Clients.run(
            "/usr/bin/env",
            ["python3", "-c", "import urllib.request; print(urllib.request.urlopen('http://\(http)/metrics').read().decode())"])
        #expect(metrics.stdoutText.contains(#"weir_kafka_requests_total{api="Fetch"}"#), "\(metrics.stderr)")
        #expect(metrics.stdoutText.contains("weir_kafka_connections_total"))
        #expect(run.stop() == 0, "\(run.stderr.suffix(1000))")
    }
}

/// `--kafka-users FILE`: SASL/PLAIN. Until a connection authenticates it gets nothing
/// but ApiVersions and the SASL APIs.
@Suite struct SaslPlainTests {
    static func kcatSASL(_ user: String, _ password: String) -> [String] {
        [
            "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=\(user)", "-X",
            "sasl.password=\(password)",
        ]
    }

    @Test func usersAuthenticateAndOthersGetNothing() async throws {
        let directory = TemporaryDirectory()
        let users = try directory.write("users", "# who may connect\nalice:s3cret\nbob:with:colon\n")
        let bench = try await WireBench.start(topics: ["private": 1], extra: ["--kafka-users", users])
        let produced = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-P", "-t", "private"] + Self.kcatSASL("alice", "s3cret"), input: Data("secret line\n".utf8)
        )
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-C", "-t", "private", "-e", "-q", "-m", "10"] + Self.kcatSASL("bob", "with:colon"))
        #expect(consumed.stdoutText == "secret line\n", "\(consumed.stderr)")
        let wrong = try await Clients.run(Clients.kcat, ["-b", bench.address, "-L", "-m", "3"] + Self.kcatSASL("alice", "guess"))
        #expect(wrong.status != 0)
        #expect(!wrong.stdoutText.contains("private"))
        let anonymous = try await Clients.run(Clients.kcat, ["-b", bench.address, "-L", "-m", "3"])
        #expect(anonymous.status != 0)
        #expect(!anonymous.stdoutText.contains("private"))
        let python = try await Clients.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                from kafka import KafkaConsumer
                c = KafkaConsumer("private", bootstrap_servers="\(bench.address)", security_protocol="SASL_PLAINTEXT",
                                  sasl_mechanism="PLAIN", sasl_plain_username="alice", sasl_plain_password="s3cret",
                                  auto_offset_reset="earliest", consumer_timeout_ms=3000)
                print([m.value.decode() for m in c])
                """,
            ])
        #expect(python.stdoutText == "['secret line']\n", "\(python.stderr.suffix(1000))")
        #expect(bench.serving.stderr.contains("Metadata before authenticating"))
        #expect(try await bench.finish() == 0)
    }

    /// Off loopback: refused without users or --insecure-no-auth, in one line.
    @Test func beyondLoopbackNeedsUsersOrInsecureNoAuth() async throws {
        let directory = TemporaryDirectory()
        let refused = try await Clients.run(Paths.weir, ["serve", "--kafka", "0.0.0.0:0", "--data-dir", directory.path + "/data"])
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("weir: --kafka on 0.0.0.0 is beyond loopback"), "\(refused.stderr)")
        let badUsers = try directory.write("bad-users", "alice\n")
        let unreadable = try await Clients.run(
            Paths.weir, ["serve", "--kafka", "127.0.0.1:0", "--kafka-users", badUsers, "--data-dir", directory.path + "/data"])
        #expect(unreadable.status == 1)
        #expect(unreadable.stderr == "weir: \(badUsers):1: expected user:password\n", "\(unreadable.stderr)")
    }
}

/// `weir produce` and `weir consume` while `weir serve` holds the data directory: through
/// its listener (the address it leaves in `DIR/kafka-listener`), or `--bootstrap`.
@Suite struct CommandsThroughTheListenerTests {
    @Test func produceAndConsumeGoThroughTheHoldersListener() async throws {
        let bench = try await WireBench.start(topics: ["shared": 3])
        let input = Data("one\r\ntwo\nthree".utf8)
        let produced = try await onOwnThread { try weir(bench.dataDir, ["produce", "shared", "--key", "k"], input: input) }
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try await weirCommand(bench.dataDir, ["consume", "shared"])
        #expect(consumed == "one\ntwo\nthree\n")
        let viaBootstrap = try await weirCommand(
            "/nonexistent", ["consume", "shared", "--bootstrap", bench.address, "--format", "json", "--max", "1"])
        #expect(viaBootstrap.contains(#""value":"one""#), "\(viaBootstrap)")
        // kcat sees the same records, in the partition murmur2 gives "k".
        let expected = Array("k".utf8).withUnsafeBytes { Partitioner.partition(forKey: $0, partitionCount: 3) }
        let kcat = try await Clients.run(Clients.kcat, ["-b", bench.address, "-C", "-t", "shared", "-e", "-q", "-f", "%p %s\n"])
        #expect(kcat.stdoutText == "\(expected) one\n\(expected) two\n\(expected) three\n")
        // A kcat group commits; weir groups and weir topics see it through the listener.
        let member = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-G", "readers", "shared", "-e", "-q", "-X", "auto.offset.reset=earliest"])
        #expect(member.status == 0, "\(member.stderr)")
        // Topics made and deleted through the listener, with Weir's settings carried by Kafka's config names.
        _ = try await weirCommand(
            bench.dataDir, ["topics", "create", "made", "--partitions", "2", "--compression", "gzip", "--flush", "always"])
        _ = try await weirCommand(bench.dataDir, ["topics", "create", "gone"])
        _ = try await weirCommand(bench.dataDir, ["topics", "delete", "gone"])
        #expect(try await weirCommand(bench.dataDir, ["topics", "list"]) == "made\nshared\n")
        #expect(try await weirCommand(bench.dataDir, ["groups", "list"]).contains("readers\n"))
        let described = try await weirCommand(bench.dataDir, ["groups", "describe", "readers", "--format", "json"])
        let rows = try #require(
            (try JSONSerialization.jsonObject(with: Data(described.utf8)) as? [String: Any])?["partitions"] as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["committed"] as? Int == 3 && rows.first?["lag"] as? Int == 0, "\(described)")
        // A group member through the listener (RemoteCLITests has more).
        #expect(try await weirCommand(bench.dataDir, ["consume", "shared", "--group", "g"]) == "one\ntwo\nthree\n")
        let status = try await bench.finish()
        #expect(status == 0, "weir serve: \(bench.serving.stderr.suffix(3000))")
        // Once serve has stopped, the directory is the commands' own again.
        #expect(try await weirCommand(bench.dataDir, ["consume", "shared"]) == "one\ntwo\nthree\n")
        let made = try await weirCommand(bench.dataDir, ["topics", "describe", "made"])
        #expect(made.contains("partitions: 2") && made.contains("compression: gzip") && made.contains("flush: always"), "\(made)")
    }
}

/// `weir serve --http`: the listener's metrics beside the log's.
@Suite struct ServeMetricsTests {
    @Test func serveWithHTTPExportsTheListenersMetrics() async throws {
        let bench = try await WireBench.start(topics: ["seen": 1], extra: ["--http", "127.0.0.1:0"])
        let listed = try await Clients.run(Clients.kcat, ["-b", bench.address, "-L"])
        #expect(listed.status == 0)
        let http = String(bench.serving.stderr.components(separatedBy: "on http://")[1].prefix { !$0.isWhitespace })
        let metrics = try await Clients.run(
            "/usr/bin/env",
            ["python3", "-c", "import urllib.request; print(urllib.request.urlopen('http://\(http)/metrics').read().decode())"])
        #expect(metrics.stdoutText.contains(#"weir_kafka_requests_total{api="Metadata"}"#), "\(metrics.stderr)")
        #expect(metrics.stdoutText.contains(#"weir_partition_end_offset{topic="seen",partition="0"}"#))
        #expect(try await bench.finish() == 0)
    }
}
