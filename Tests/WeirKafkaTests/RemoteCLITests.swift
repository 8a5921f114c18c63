import Foundation
import Testing
import WeirKafka
import WeirTestSupport

/// `weir consume --group`, `weir topics describe` and `weir groups reset-offsets` through
/// the listener of a `weir serve --kafka` that holds the data directory, or `--bootstrap`.
@Suite struct RemoteCLITests {
    /// Ten lines per partition of `topic`, `round-p<partition>-<i>`, through the listener.
    func produce(_ bench: WireBench, _ topic: String, partitions: Int, round: String) async throws -> Set<String> {
        var made: Set<String> = []
        for partition in 0..<partitions {
            let values = (0..<10).map { "\(round)-p\(partition)-\($0)" }
            made.formUnion(values)
            let input = Data((values.joined(separator: "\n") + "\n").utf8)
            let result = try await onOwnThread { try weir(bench.dataDir, ["produce", topic, "--partition", "\(partition)"], input: input) }
            #expect(result.status == 0, "\(result.stderr)")
        }
        return made
    }

    /// A `weir consume --group` in the background.
    func member(_ bench: WireBench, _ arguments: [String]) throws -> BackgroundClient {
        try BackgroundClient(Paths.weir, ["consume"] + arguments + ["--data-dir", bench.dataDir])
    }

    /// Waits until the group is Stable with `count` members (DescribeGroups).
    func waitForMembers(_ bench: WireBench, _ group: String, count: Int) async throws {
        let connection = try await bench.connect()
        try await onOwnThread {
            _ = try waitUntil("group \(group) is stable with \(count) members") { () -> Bool? in
                let response = try connection.request(DescribeGroupsAPI.self, DescribeGroupsAPI.Request(groups: [group]), version: 0)
                guard let described = response.groups.first, described.groupState == "Stable", described.members.count == count else {
                    return nil
                }
                return true
            }
        }
    }

    func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    /// The group's committed offsets by partition, from `weir groups describe --format json`.
    func committed(_ bench: WireBench, _ group: String, extra: [String] = []) async throws -> [Int: Int] {
        let described = try await weirCommand(bench.dataDir, ["groups", "describe", group, "--format", "json"] + extra)
        let rows = try #require(
            (try JSONSerialization.jsonObject(with: Data(described.utf8)) as? [String: Any])?["partitions"] as? [[String: Any]])
        return Dictionary(
            uniqueKeysWithValues: rows.compactMap { row in (row["committed"] as? Int).map { (row["partition"] as! Int, $0) } })
    }

    @Test func twoGroupMembersSplitATopicAndTheOtherTakesTheRestWhenOneLeaves() async throws {
        let bench = try await WireBench.start(topics: ["split": 4])
        var produced = try await produce(bench, "split", partitions: 4, round: "a")
        let first = try member(bench, ["split", "--group", "g", "--follow"])
        try await first.waitFor("the first member reads round a") { out, _ in out.split(separator: "\n").count == 40 }
        let second = try member(bench, ["split", "--group", "g", "--follow"])
        try await waitForMembers(bench, "g", count: 2)
        produced.formUnion(try await produce(bench, "split", partitions: 4, round: "b"))
        try await second.waitFor("the members read round b") { [first] out, _ in
            out.split(separator: "\n").count + first.stdout.split(separator: "\n").count == 80
        }
        // Range: two partitions each, so ten records of round b for each of them.
        #expect(lines(second.stdout).count == 20, "\(second.stdout)")
        #expect(lines(first.stdout).filter { $0.hasPrefix("b-") }.count == 20, "\(first.stdout)")
        // Ctrl-C: the first commits what it printed and leaves; the second takes its partitions.
        #expect(first.stop(signal: SIGINT) == 0, "\(first.stderr)")
        produced.formUnion(try await produce(bench, "split", partitions: 4, round: "c"))
        try await second.waitFor("the second member reads the rest") { [first] out, _ in
            out.split(separator: "\n").count + first.stdout.split(separator: "\n").count == 120
        }
        #expect(second.stop(signal: SIGINT) == 0, "\(second.stderr)")
        let read = lines(first.stdout) + lines(second.stdout)
        #expect(read.count == 120)
        #expect(Set(read) == produced, "every record once")
        // What they committed over the wire is what `weir groups describe` shows.
        #expect(try await committed(bench, "g") == [0: 30, 1: 30, 2: 30, 3: 30])
        #expect(try await bench.finish() == 0, "\(bench.serving.stderr.suffix(2000))")
    }

    @Test func consumeInAGroupThroughBootstrapStartsWhereTheGroupCommitted() async throws {
        let bench = try await WireBench.start(topics: ["one": 1])
        _ = try await produce(bench, "one", partitions: 1, round: "x")
        let arguments = ["consume", "one", "--group", "solo", "--bootstrap", bench.address]
        #expect(try await weirCommand("/nonexistent", arguments + ["--max", "3"]) == "x-p0-0\nx-p0-1\nx-p0-2\n")
        #expect(try await committed(bench, "solo") == [0: 3])
        #expect(try await committed(bench, "solo", extra: ["--bootstrap", bench.address]) == [0: 3])
        // The next run continues after it, to the end; --from applies only where nothing was committed.
        #expect(lines(try await weirCommand("/nonexistent", arguments + ["--from", "latest"])) == (3..<10).map { "x-p0-\($0)" })
        #expect(try await committed(bench, "solo") == [0: 10])
        #expect(try await bench.finish() == 0)
    }

    @Test func topicsDescribeThroughTheListenerPrintsAsLocally() async throws {
        let bench = try await WireBench.start()
        _ = try await weirCommand(
            bench.dataDir,
            [
                "topics", "create", "described", "--partitions", "2", "--compression", "gzip", "--compression-level", "5", "--flush",
                "always",
                "--retention-ms", "forever", "--segment-bytes", "1048576",
            ])
        _ = try await produce(bench, "described", partitions: 2, round: "d")
        let remote = try await weirCommand(bench.dataDir, ["topics", "describe", "described"])
        let viaBootstrap = try await weirCommand("/nonexistent", ["topics", "describe", "described", "--bootstrap", bench.address])
        #expect(remote == viaBootstrap)
        let json = try await weirCommand(bench.dataDir, ["topics", "describe", "described", "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let partitions = try #require(document["partitions"] as? [[String: Any]])
        #expect(partitions.map { $0["end_offset"] as? Int } == [10, 10])
        #expect(partitions.allSatisfy { $0["size_bytes"] is NSNull && $0["segments"] is NSNull }, "\(json)")
        #expect(try await bench.finish() == 0)
        // Locally the same lines, but for the sizes and segments the wire does not carry.
        let local = try await weirCommand(bench.dataDir, ["topics", "describe", "described"])
        let strip = { (text: String) in
            text.split(separator: "\n").map { line in
                line.split(separator: " ").prefix(line.first?.isNumber == true ? 4 : 99).joined(separator: " ")
            }
        }
        #expect(strip(remote) == strip(local), "through the listener:\n\(remote)\nlocally:\n\(local)")
        #expect(remote.contains("compression: gzip (level 5)") && remote.contains("flush: always"), "\(remote)")
        #expect(remote.contains("segment: 1048576 bytes") && remote.contains("no age limit"), "\(remote)")
        let row = remote.split(separator: "\n").first { $0.hasPrefix("0 ") }
        #expect(row.map { $0.split(separator: " ").map(String.init) } == ["0", "0", "10", "10", "-", "-"], "\(remote)")
    }

    @Test func resetOffsetsThroughTheListenerMovesTheGroupAndIsRefusedWhileItHasMembers() async throws {
        let bench = try await WireBench.start(topics: ["moved": 2])
        let produced = try await produce(bench, "moved", partitions: 2, round: "m")
        #expect(lines(try await weirCommand(bench.dataDir, ["consume", "moved", "--group", "r"])).count == 20)
        #expect(try await committed(bench, "r") == [0: 10, 1: 10])
        let reset = try await weirCommand(bench.dataDir, ["groups", "reset-offsets", "r", "--topic", "moved", "--to", "earliest"])
        #expect(reset == "moved/0: 0\nmoved/1: 0\n")
        #expect(try await committed(bench, "r") == [0: 0, 1: 0])
        // A Kafka consumer of the group starts there.
        let kcat = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-G", "r", "moved", "-e", "-q", "-X", "auto.offset.reset=latest"])
        #expect(kcat.status == 0, "\(kcat.stderr)")
        #expect(Set(lines(kcat.stdoutText)) == produced)
        let one = try await weirCommand(
            "/nonexistent",
            ["groups", "reset-offsets", "r", "--topic", "moved", "--partition", "1", "--to", "7", "--bootstrap", bench.address])
        #expect(one == "moved/1: 7\n")
        #expect(try await committed(bench, "r")[1] == 7)

        // While the group has a member, refused in one line.
        let reader = try member(bench, ["moved", "--group", "r", "--follow"])
        try await waitForMembers(bench, "r", count: 1)
        try await reader.waitFor("the member reads from where the reset put the group") { out, _ in out.split(separator: "\n").count == 3 }
        let refused = try await onOwnThread {
            try weir(bench.dataDir, ["groups", "reset-offsets", "r", "--topic", "moved", "--to", "earliest"])
        }
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("group 'r' has active members"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(reader.stop(signal: SIGINT) == 0, "\(reader.stderr)")
        #expect(lines(reader.stdout) == (7..<10).map { "m-p1-\($0)" })
        #expect(try await bench.finish() == 0)
    }

    /// A pipeline `p` reading topic `t` (3 partitions) with one sink `out` (a flow mapping's fields).
    func pipeline(_ directory: TemporaryDirectory, sink: String) throws -> String {
        try directory.write(
            "p.yaml",
            """
            name: p
            topics: { t: { partitions: 3 } }
            sinks:
              out: { \(sink), inputs: [t] }
            """)
    }

    @Test func resetOffsetsThroughTheListenerMovesSinkCheckpointsAndRefusesAFileSinks() async throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        _ = try await weirCommand(data, ["topics", "create", "t", "--partitions", "3"])
        let input = Data((0..<30).map { "line \($0)\n" }.joined().utf8)
        #expect(try await onOwnThread { try weir(data, ["produce", "t", "--partition", "0"], input: input) }.status == 0)
        let stdoutSink = try pipeline(directory, sink: "type: stdout, encoding: text")
        let first = try await onOwnThread { try runPipeline(at: stdoutSink, data: data) }
        #expect(WeirTestSupport.lines(of: first.stdout).count == 30, "\(first.stderr)")
        let fileSink = try directory.write(
            "q.yaml",
            """
            name: q
            topics: { t: { partitions: 3 } }
            sinks:
              out: { type: file, path: "\(directory.path)/out.txt", encoding: text, inputs: [t] }
            """)
        #expect(try await onOwnThread { try runPipeline(at: fileSink, data: data) }.status == 0)

        let serving = try await ServingWeir.start(dataDir: data, extra: ["--log-level", "notice"])
        let reset = try await weirCommand(data, ["groups", "reset-offsets", "p.out", "--topic", "t", "--to", "earliest"])
        #expect(reset == "t/0: 0\nt/1: 0\nt/2: 0\n")
        _ = try await serving.logLine(containing: ["moved in the sink's checkpoint too", "pipelines/p/sink-out.checkpoint"])
        let refused = try await onOwnThread { try weir(data, ["groups", "reset-offsets", "q.out", "--topic", "t", "--to", "earliest"]) }
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("refused to move group 'q.out''s offsets"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        _ = try await serving.logLine(containing: ["not reset", "file sink 'out' of pipeline 'q'"])
        #expect(try await serving.stopped() == 0)
        // The stdout sink reads everything again: its own checkpoint moved.
        let again = try await onOwnThread { try runPipeline(at: stdoutSink, data: data) }
        #expect(WeirTestSupport.lines(of: again.stdout).sorted() == WeirTestSupport.lines(of: first.stdout).sorted())
    }
}
