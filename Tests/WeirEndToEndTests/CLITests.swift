import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// The `weir` executable end to end on the real logs in samples/loghub
/// (CRLF endings, a last line without newline).
@Suite("weir command line")
struct CLITests {
    static let files = Paths.loghubFiles

    @Test("the loghub samples are there")
    func samplesPresent() {
        #expect(Self.files.count == 16, "expected the 16 loghub files in \(Paths.loghub)")
    }

    @Test("produce then consume --format raw gives back every line", arguments: files)
    func rawRoundTrip(file: String) throws {
        let directory = TemporaryDirectory()
        let input = try Data(contentsOf: URL(fileURLWithPath: Paths.loghub + "/" + file))
        let expected = lines(of: input)
        #expect(try weir(directory.path, ["topics", "create", "logs", "--partitions", "1"]).status == 0)
        let produced = try weir(directory.path, ["produce", "logs"], input: input)
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try weir(directory.path, ["consume", "logs", "--from", "earliest"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        #expect(lines(of: consumed.stdout) == expected)
        #expect(consumed.stdoutText == expected.joined(separator: "\n") + "\n")
    }

    @Test("produce then consume --format json over 3 gzip partitions", arguments: files)
    func jsonRoundTrip(file: String) throws {
        let directory = TemporaryDirectory()
        let input = try Data(contentsOf: URL(fileURLWithPath: Paths.loghub + "/" + file))
        let expected = lines(of: input)
        #expect(try weir(directory.path, ["topics", "create", "logs", "--partitions", "3", "--compression", "gzip"]).status == 0)
        #expect(try weir(directory.path, ["produce", "logs"], input: input).status == 0)
        let consumed = try weir(directory.path, ["consume", "logs", "--format", "json"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let objects = try lines(of: consumed.stdout).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.count == expected.count)
        for object in objects {
            #expect(Set(object.keys) == ["topic", "partition", "offset", "timestamp", "key", "value", "headers"])
            #expect(object["topic"] as? String == "logs")
            #expect(object["key"] is NSNull)
        }
        // Unkeyed lines are dealt round-robin: line i is in partition i % 3 at offset i / 3.
        for (i, line) in expected.enumerated() {
            let match = objects.first { ($0["partition"] as? Int) == i % 3 && ($0["offset"] as? Int) == i / 3 }
            #expect(match?["value"] as? String == line, "line \(i) of \(file)")
        }
    }

    @Test("a group continues where its last run stopped, with nothing lost or repeated", arguments: files.prefix(6))
    func groupResumes(file: String) throws {
        let directory = TemporaryDirectory()
        let input = try Data(contentsOf: URL(fileURLWithPath: Paths.loghub + "/" + file))
        let expected = lines(of: input)
        #expect(try weir(directory.path, ["topics", "create", "logs", "--partitions", "4"]).status == 0)
        #expect(try weir(directory.path, ["produce", "logs"], input: input).status == 0)
        let first = try weir(directory.path, ["consume", "logs", "--group", "audit", "--max", "777"])
        let second = try weir(directory.path, ["consume", "logs", "--group", "audit", "--format", "json"])
        let third = try weir(directory.path, ["consume", "logs", "--group", "audit"])
        #expect([first.status, second.status, third.status] == [0, 0, 0])
        let firstLines = lines(of: first.stdout)
        let secondLines = try lines(of: second.stdout).map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["value"] as! String
        }
        #expect(firstLines.count == 777)
        #expect((firstLines + secondLines).sorted() == expected.sorted())
        #expect(third.stdout.isEmpty)
        let described = try weir(directory.path, ["groups", "describe", "audit"])
        #expect(described.stdoutText.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix(" 0") }, "lag 0: \(described.stdoutText)")
        #expect(try weir(directory.path, ["groups", "list"]).stdoutText == "audit\n")

        // Rewind and read again.
        #expect(try weir(directory.path, ["groups", "reset-offsets", "audit", "--topic", "logs", "--to", "earliest"]).status == 0)
        let again = try weir(directory.path, ["consume", "logs", "--group", "audit"])
        #expect(lines(of: again.stdout).sorted() == expected.sorted())
    }

    @Test("keys place records on Kafka's murmur2 partition")
    func keyedProduce() throws {
        let directory = TemporaryDirectory()
        #expect(try weir(directory.path, ["topics", "create", "users", "--partitions", "5"]).status == 0)
        let input = (0..<200).map { #"{"user":"u\#($0 % 17)","n":\#($0)}"# }.joined(separator: "\n")
        let produced = try weir(directory.path, ["produce", "users", "--key-field", "user"], input: Data(input.utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try weir(directory.path, ["consume", "users", "--format", "json"])
        for line in lines(of: consumed.stdout) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let key = object["key"] as! String
            let expected = Array(key.utf8).withUnsafeBytes { Partitioner.partition(forKey: $0, partitionCount: 5) }
            #expect(object["partition"] as? Int == expected)
        }
        #expect(lines(of: consumed.stdout).count == 200)
        let fixed = try weir(directory.path, ["produce", "users", "--key", "same"], input: Data("a\nb\n".utf8))
        #expect(fixed.status == 0)
    }

    @Test("consume --partition and --from OFFSET read exactly that slice")
    func partitionAndOffset() throws {
        let directory = TemporaryDirectory()
        #expect(try weir(directory.path, ["topics", "create", "t", "--partitions", "2"]).status == 0)
        let input = (0..<100).map { "line \($0)" }.joined(separator: "\r\n")
        #expect(try weir(directory.path, ["produce", "t", "--partition", "1"], input: Data(input.utf8)).status == 0)
        let slice = try weir(directory.path, ["consume", "t", "--partition", "1", "--from", "90", "--max", "5"])
        #expect(lines(of: slice.stdout) == (90..<95).map { "line \($0)" })
        let latest = try weir(directory.path, ["consume", "t", "--from", "latest"])
        #expect(latest.stdout.isEmpty && latest.status == 0)
        let empty = try weir(directory.path, ["consume", "t", "--partition", "0"])
        #expect(empty.stdout.isEmpty && empty.status == 0)
    }

    @Test("topics create, list, describe and delete")
    func topicCommands() throws {
        let directory = TemporaryDirectory()
        #expect(
            try weir(
                directory.path,
                ["topics", "create", "b", "--partitions", "2", "--compression", "gzip", "--compression-level", "6", "--flush", "always"]
            ).status == 0)
        #expect(try weir(directory.path, ["topics", "create", "a"]).status == 0)
        #expect(try weir(directory.path, ["topics", "list"]).stdoutText == "a\nb\n")
        let described = try weir(directory.path, ["topics", "describe", "b"]).stdoutText
        #expect(described.contains("partitions: 2"))
        #expect(described.contains("compression: gzip (level 6)"))
        #expect(described.contains("flush: always"))
        let config = try JSONDecoder().decode(
            TopicConfig.self, from: Data(contentsOf: URL(fileURLWithPath: directory.path + "/topics/b/topic.json")))
        #expect(config.partitions == 2 && config.compressionLevel == 6 && config.flush == .always)
        #expect(try weir(directory.path, ["topics", "delete", "b"]).status == 0)
        #expect(try weir(directory.path, ["topics", "list"]).stdoutText == "a\n")
    }

    @Test(
        "errors are one clear line on stderr and a non-zero exit",
        arguments: [
            (["topics", "create", "../etc"], "invalid topic name"),
            (["topics", "create", "x", "--partitions", "0"], "partitions must be"),
            (["topics", "describe", "missing"], "does not exist"),
            (["consume", "missing"], "does not exist"),
            (["consume", "t", "--from", "soon"], "--from takes earliest, latest"),
            (["consume", "t", "--from", "500"], "out of range"),
            (["consume", "t", "--partition", "7"], "has no partition 7"),
            (["produce", "t", "--partition", "9"], "has no partition 9"),
            (["topics", "create", "t", "--compression", "snappy"], "snappy"),
        ])
    func errors(arguments: [String], message: String) throws {
        let directory = TemporaryDirectory()
        #expect(try weir(directory.path, ["topics", "create", "t"]).status == 0)
        let result = try weir(directory.path, arguments)
        #expect(result.status != 0)
        let errorLines = result.stderr.split(separator: "\n").filter {
            !$0.isEmpty && !$0.hasPrefix("Usage") && !$0.hasPrefix("Help:") && !$0.hasPrefix("  See") && !$0.contains("--help")
        }
        #expect(errorLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("log verify passes on intact data and names file and byte of damage; dump prints batches")
    func verifyAndDump() throws {
        let directory = TemporaryDirectory()
        #expect(try weir(directory.path, ["topics", "create", "t", "--compression", "gzip"]).status == 0)
        let input = try Data(contentsOf: URL(fileURLWithPath: Paths.loghub + "/Apache_2k.log"))
        #expect(try weir(directory.path, ["produce", "t"], input: input).status == 0)
        #expect(try weir(directory.path, ["produce", "t"], input: input).status == 0)
        let ok = try weir(directory.path, ["log", "verify"])
        #expect(ok.status == 0)
        #expect(ok.stdoutText.contains("4000 records"))

        let segment = directory.path + "/topics/t/0/00000000000000000000.log"
        let dump = try run(Paths.weir, ["log", "dump", segment])
        #expect(dump.status == 0)
        #expect(dump.stdoutText.contains("baseOffset: 0 lastOffset: "))
        let batchLines = dump.stdoutText.split(separator: "\n").filter { $0.hasPrefix("baseOffset: ") }
        let counts = batchLines.compactMap { line in
            line.split(separator: " ").firstIndex(of: "count:").map { Int(line.split(separator: " ")[$0 + 1])! }
        }
        #expect(counts.reduce(0, +) == 4000)
        #expect(dump.stdoutText.contains("compresscodec: gzip"))
        #expect(dump.stdoutText.split(separator: "\n").filter { $0.hasPrefix("| offset:") }.count == 4000)

        let size = try FileSystem.fileSize(segment)
        #expect(truncate(segment, off_t(size - 100)) == 0)
        let bad = try weir(directory.path, ["log", "verify", "--topic", "t"])
        #expect(bad.status != 0)
        #expect(bad.stdoutText.contains("\(segment) at byte "), "\(bad.stdoutText)")
        let recovered = try weir(directory.path, ["log", "recover"])
        #expect(recovered.status == 0)
        #expect(try weir(directory.path, ["log", "verify"]).status == 0)
        let remaining = try weir(directory.path, ["consume", "t"])
        // The cut batch and nothing else is gone: what is left is a prefix of both runs' lines.
        let both = lines(of: input) + lines(of: input)
        let kept = lines(of: remaining.stdout)
        #expect(kept.count >= 2000 && kept.count < 4000)
        #expect(kept == Array(both.prefix(kept.count)))
    }

    @Test(
        "--help works on every command",
        arguments: [
            [], ["topics"], ["topics", "create"], ["topics", "list"], ["topics", "describe"], ["topics", "delete"],
            ["produce"], ["consume"], ["groups"], ["groups", "list"], ["groups", "describe"], ["groups", "reset-offsets"],
            ["log"], ["log", "verify"], ["log", "recover"], ["log", "dump"],
        ])
    func help(command: [String]) throws {
        let result = try run(Paths.weir, command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("USAGE"))
    }
}

@Suite("produce --print-offsets")
struct PrintOffsetsTests {
    @Test("acknowledgements come in offset order per partition and cover every line once", arguments: ["always", "interval", "pagecache"])
    func acknowledgementsInOrder(flush: String) throws {
        let directory = TemporaryDirectory()
        #expect(
            try weir(directory.path, ["topics", "create", "t", "--partitions", "3", "--flush", flush, "--flush-interval-bytes", "100000"])
                .status == 0)
        let input = (0..<60_000).map { "line \($0) " + String(repeating: "z", count: $0 % 70) }.joined(separator: "\n")
        let result = try weir(directory.path, ["produce", "t", "--print-offsets"], input: Data(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        var next = [Int64](repeating: 0, count: 3)
        var total = 0
        for line in lines(of: result.stdout) {
            let fields = line.split(separator: " ").compactMap { Int64($0) }
            try #require(fields.count == 3)
            let (partition, base, count) = (Int(fields[0]), fields[1], fields[2])
            #expect(base == next[partition], "partition \(partition): acknowledged \(base) before \(next[partition])")
            next[partition] = base + count
            total += Int(count)
        }
        #expect(total == 60_000)
    }
}

@Suite("weir validate")
struct ValidateCommandTests {
    @Test("a valid pipeline exits 0; an invalid one prints file:line:column and exits 1")
    func validate() throws {
        let ok = try run(Paths.weir, ["validate", Paths.packageRoot + "/pipelines/ssh-audit.yaml"])
        #expect(ok.status == 0, "\(ok.stdoutText)")
        #expect(ok.stdoutText.contains("ok (pipeline 'ssh-audit'"))
        let directory = TemporaryDirectory()
        let bad = try directory.write("bad.yaml", "topics:\n  raw: {}\nsources:\n  a: {type: tial, topic: raw}\n")
        let result = try run(Paths.weir, ["validate", bad])
        #expect(result.status == 1)
        #expect(
            result.stdoutText
                == "\(bad):4:13: unknown source type 'tial' (did you mean 'tail'?); known: file, generate, http_server, kafka, postgres, stdin, syslog, tail\n"
        )
    }
}
