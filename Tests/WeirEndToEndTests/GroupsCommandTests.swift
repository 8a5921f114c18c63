import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// `weir groups describe` and `weir groups reset-offsets` as a user runs them, and
/// `weir produce` into a topic that does not exist yet.
@Suite("weir groups and produce: the command line")
struct GroupsCommandTests {
    /// A topic `t` of three partitions holding 667, 666 and 667 lines.
    func threePartitions(_ data: String) throws {
        #expect(try weir(data, ["topics", "create", "t", "--partitions", "3"]).status == 0)
        for (partition, count) in [667, 666, 667].enumerated() {
            let input = Data((0..<count).map { "p\(partition) line \($0)\n" }.joined().utf8)
            #expect(try weir(data, ["produce", "t", "--partition", "\(partition)"], input: input).status == 0)
        }
    }

    @Test("describe lists every partition of the group's topics; where nothing was committed the lag counts from the start")
    func describeListsUncommittedPartitions() throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        try threePartitions(data)
        #expect(try weir(data, ["consume", "t", "--group", "g1", "--max", "10"]).status == 0)

        let json = try weir(data, ["groups", "describe", "g1", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let rows = try #require(document["partitions"] as? [[String: Any]])
        #expect(rows.map { $0["partition"] as? Int } == [0, 1, 2])
        #expect(rows.map { $0["end"] as? Int } == [667, 666, 667])
        let committed = rows.map { $0["committed"] as? Int }
        // Ten records read, from one partition or more; the others are null, not left out.
        #expect(committed.compactMap { $0 }.reduce(0, +) == 10, "\(rows)")
        #expect(rows.allSatisfy { $0.keys.contains("committed") })
        #expect(committed.contains(nil))
        for row in rows {
            #expect(row["lag"] as? Int == (row["end"] as! Int) - ((row["committed"] as? Int) ?? 0))
        }
        #expect(rows.map { $0["lag"] as! Int }.reduce(0, +) == 2000 - 10)

        let text = try weir(data, ["groups", "describe", "g1"])
        let lines = text.stdoutText.split(separator: "\n").dropFirst()
        #expect(lines.count == 3, "\(text.stdoutText)")
        #expect(lines.contains { $0.contains(" - ") }, "\(text.stdoutText)")
    }

    /// A pipeline `p` with one sink `out` of `sink` (a flow mapping's fields) reading topic `t`.
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

    @Test("reset-offsets moves a sink's own checkpoint too: a stdout sink reads everything again")
    func resetMovesSinkCheckpoint() throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        try threePartitions(data)
        let yaml = try pipeline(directory, sink: "type: stdout, encoding: text")
        let first = try runPipeline(at: yaml, data: data)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(lines(of: first.stdout).count == 2000)
        #expect(try runPipeline(at: yaml, data: data).stdout.isEmpty)

        let reset = try weir(data, ["groups", "reset-offsets", "p.out", "--topic", "t", "--to", "earliest"])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stdoutText.contains("pipelines/p/sink-out.checkpoint"), "\(reset.stdoutText)")
        let again = try runPipeline(at: yaml, data: data)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(lines(of: again.stdout).sorted() == lines(of: first.stdout).sorted())

        // One partition, to an offset: only its records from there.
        #expect(try weir(data, ["groups", "reset-offsets", "p.out", "--topic", "t", "--partition", "1", "--to", "600"]).status == 0)
        let tail = try runPipeline(at: yaml, data: data)
        #expect(lines(of: tail.stdout) == (600..<666).map { "p1 line \($0)" })
    }

    @Test("reset-offsets refuses a file sink's group in one line naming its checkpoint, and changes nothing")
    func resetRefusesFileSink() throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        let out = directory.path + "/out.txt"
        try threePartitions(data)
        let yaml = try pipeline(directory, sink: "type: file, path: \"\(out)\", encoding: text")
        #expect(try runPipeline(at: yaml, data: data).status == 0)
        let written = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(lines(of: written).count == 2000)

        let reset = try weir(data, ["groups", "reset-offsets", "p.out", "--topic", "t", "--to", "earliest"])
        #expect(reset.status != 0)
        let message = reset.stderr.split(separator: "\n")
        #expect(message.count == 1, "\(reset.stderr)")
        #expect(
            reset.stderr.contains("file sink 'out' of pipeline 'p'") && reset.stderr.contains(data + "/pipelines/p/sink-out.checkpoint"),
            "\(reset.stderr)")
        let described = try weir(data, ["groups", "describe", "p.out", "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: described.stdout) as? [String: Any])
        #expect((document["partitions"] as? [[String: Any]])?.map { $0["lag"] as? Int } == [0, 0, 0], "the group's offsets stayed")
        #expect(try runPipeline(at: yaml, data: data).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == written, "nothing written twice")

        // What the message advises: without its checkpoint the sink writes its file again, once.
        try FileManager.default.removeItem(atPath: data + "/pipelines/p/sink-out.checkpoint")
        #expect(try runPipeline(at: yaml, data: data).status == 0)
        #expect(lines(of: try Data(contentsOf: URL(fileURLWithPath: out))).sorted() == lines(of: written).sorted())
    }

    @Test("produce into a missing topic says how to create it; --create makes it with --partitions")
    func produceMissingTopic() throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        let missing = try weir(data, ["produce", "fresh"], input: Data("a\nb\n".utf8))
        #expect(missing.status != 0)
        #expect(
            missing.stderr.contains(
                "topic 'fresh' does not exist: create it with `weir topics create fresh --partitions N`, or pass --create"),
            "\(missing.stderr)")
        #expect(try weir(data, ["topics", "list"]).stdoutText.isEmpty)
        #expect(try weir(data, ["produce", "fresh", "--partitions", "2"], input: Data()).stderr.contains("--partitions is for --create"))

        let created = try weir(data, ["produce", "fresh", "--create", "--partitions", "3"], input: Data("a\nb\nc\n".utf8))
        #expect(created.status == 0, "\(created.stderr)")
        let described = try weir(data, ["topics", "describe", "fresh", "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: described.stdout) as? [String: Any])
        #expect((document["partitions"] as? [Any])?.count == 3)
        // --create on a topic that exists appends to it as it is (and says so if --partitions differs).
        let again = try weir(data, ["produce", "fresh", "--create", "--partitions", "5"], input: Data("d\n".utf8))
        #expect(again.status == 0)
        #expect(again.stderr.contains("topic 'fresh' exists with 3 partitions"), "\(again.stderr)")
        #expect(lines(of: try weir(data, ["consume", "fresh"]).stdout).sorted() == ["a", "b", "c", "d"])
        let single = try weir(data, ["produce", "one", "--create"], input: Data("x\n".utf8))
        #expect(single.status == 0, "\(single.stderr)")
        #expect(try weir(data, ["topics", "list", "--format", "json"]).stdoutText.contains(#""partitions" : 1"#))
    }
}
