import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// The bad-input corpus of docs/bad-input.md: each input has the outcome the table
/// says, and none crashes or hangs `weir`.
@Suite("bad input corpus")
struct BadInputTests {
    @Test("garbage, invalid UTF-8, NUL bytes, an empty file, a directory and a 100 MB line in a file source's glob")
    func hostileFiles() throws {
        let directory = TemporaryDirectory()
        let input = directory.path + "/in"
        try FileManager.default.createDirectory(atPath: input + "/dir.log", withIntermediateDirectories: true)
        var random = SeededGenerator(seed: 5)
        let garbage = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        try Data(garbage).write(to: URL(fileURLWithPath: input + "/garbage.log"))
        try Data([0x6f, 0x6b, 0x0a, 0xff, 0xfe, 0x20, 0xc3, 0x28, 0x0a]).write(to: URL(fileURLWithPath: input + "/bad-utf8.log"))
        try Data([0x61, 0x00, 0x62, 0x0a]).write(to: URL(fileURLWithPath: input + "/nul.log"))
        try Data().write(to: URL(fileURLWithPath: input + "/empty.log"))
        var big = Data(repeating: 0x78, count: 100 << 20)
        big.append(contentsOf: Array("\nafter the big line\n".utf8))
        try big.write(to: URL(fileURLWithPath: input + "/big.log"))
        let result = try runPipeline(
            """
            name: p
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(input)/*"], topic: raw }
            sinks:
              out: { type: file, inputs: [raw], path: "\(directory.path)/out.txt", encoding: text }
            """, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("path=\(input)/dir.log source=f [WeirPipeline] not a regular file; skipped"))
        #expect(result.stderr.contains("line longer than max_line_bytes; truncated"))
        // Every line arrives once: the garbage file's lines (split at \n), the two of
        // each small file, the big line cut to 1 MiB and the line after it.
        let garbageLines = garbage.split(separator: 0x0a, omittingEmptySubsequences: false).count
        let out = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/out.txt"))
        let lines = out.split(separator: 0x0a, omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == garbageLines + 2 + 1 + 2)
        #expect(lines.contains { $0.count == 1 << 20 && $0.allSatisfy { $0 == 0x78 } })
        #expect(lines.contains(Data("after the big line".utf8)[...]))
        #expect(lines.contains(Data([0x61, 0x00, 0x62])[...]), "a NUL byte is kept")
        #expect(lines.contains(Data("\u{FFFD}\u{FFFD} \u{FFFD}(".utf8)[...]), "invalid UTF-8 becomes U+FFFD in a text output")
        // The log holds the bytes as read.
        let consumed = try weir(directory.path + "/data", ["consume", "raw"])
        #expect(consumed.stdout.range(of: Data([0xff, 0xfe, 0x20, 0xc3, 0x28])) != nil)
        #expect(try weir(directory.path + "/data", ["log", "verify"]).status == 0)
    }

    @Test("globs in a directory that does not exist match nothing: file appends nothing, tail keeps looking, no error")
    func missingDirectory() throws {
        let directory = TemporaryDirectory()
        let result = try runPipeline(
            """
            name: m
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(directory.path)/nowhere/*.log"], topic: raw }
              t: { type: tail, paths: ["\(directory.path)/nowhere/either/*.log"], topic: raw }
            sinks:
              out: { type: blackhole, inputs: [raw] }
            """, named: "m.yaml", in: directory, quiet: false)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("weir: m: appended 0 records, wrote 0, 0 failed"))
    }

    @Test(
        "a topic directory deleted under a pipeline: the next run makes the topic again and its sink's two members read the new records, each once"
    )
    func deletedTopic() throws {
        let directory = TemporaryDirectory()
        @discardableResult
        func write(count: Int) throws -> String {
            try directory.write(
                "p.yaml",
                """
                name: p
                topics: { raw: { partitions: 2 } }
                sources:
                  g: { type: generate, topic: raw, count: \(count) }
                sinks:
                  out: { type: file, inputs: [raw], path: "\(directory.path)/out.txt", encoding: text, parallelism: 2 }
                """)
        }
        let data = directory.path + "/data"
        let pipeline = try write(count: 1000)
        #expect(try runPipeline(at: pipeline, data: data).status == 0)
        try FileManager.default.removeItem(atPath: data + "/topics/raw")
        try write(count: 2000)
        let again = try runPipeline(at: pipeline, data: data)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("the topic was made again since this sink committed; reading it from its start"), "\(again.stderr)")
        let out = lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/out.txt")))
        #expect(out.count == 2000)
        #expect(Set(out) == Set((0..<2000).map { "generated line \($0)" }))
    }

    @Test(
        "a topic directory deleted under a running pipeline stops it: exit 1, one error naming topic, partition and path, no flood",
        arguments: ["appending", "idle"])
    func topicDeletedWhileRunning(load: String) throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        let input = directory.path + "/in.log"
        try Data("one line\n".utf8).write(to: URL(fileURLWithPath: input))
        // Appending: the source's next append fails. Idle: nothing is appended after the
        // first line, so the sink's reader has to notice.
        let source = load == "appending" ? "{ type: generate, topic: raw, rate: 200 }" : "{ type: tail, topic: raw, paths: [\"\(input)\"] }"
        let pipeline = try directory.write(
            "p.yaml",
            """
            name: p
            topics: { raw: { partitions: 2 } }
            sources:
              s: \(source)
            sinks:
              out: { type: file, inputs: [raw], path: "\(directory.path)/out.txt", encoding: text }
            """)
        let child = try ChildProcess(Paths.weir, ["run", "--quiet", "--data-dir", data, pipeline])
        let errors = DataReader(child.stderr)
        var exited = false
        defer {
            if !exited {
                kill(child.pid, SIGKILL)
                _ = child.wait()
            }
        }
        _ = try waitUntil("the sink wrote a line") {
            (try? Data(contentsOf: URL(fileURLWithPath: directory.path + "/out.txt")))?.isEmpty == false ? true : nil
        }
        try FileManager.default.removeItem(atPath: data + "/topics/raw")
        let raw = try waitUntil("weir exits by itself", seconds: 30) { () -> Int32? in
            var status: Int32 = 0
            return waitpid(child.pid, &status, WNOHANG) == child.pid ? status : nil
        }
        exited = true
        let stderr = String(decoding: errors.finish(), as: UTF8.self)
        #expect(raw & 0x7f == 0 && (raw >> 8) & 0xff == 1, "\(raw): \(stderr)")
        let final = try #require(stderr.split(separator: "\n").last.map(String.init), "\(stderr)")
        #expect(final.hasPrefix("weir: p: "), "\(stderr)")
        #expect(
            (0..<2).contains { final.contains("topic 'raw' partition \($0): \(data)/topics/raw/\($0) was deleted while the log was open") },
            "\(stderr)")
        // At most the source's log line besides the final one; no background flush errors.
        #expect(stderr.components(separatedBy: "was deleted").count - 1 <= 2, "\(stderr)")
        #expect(!stderr.contains("background flush"), "\(stderr)")
        #expect(stderr.split(separator: "\n").count <= 2, "\(stderr)")
    }

    @Test("a YAML bomb (billion laughs) and YAML nested 200,000 deep are validation errors at their place, at once")
    func yamlBombs() throws {
        let directory = TemporaryDirectory()
        var definitions = "        - { x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol] }\n"
        for (previous, name) in zip("abcdefgh", "bcdefghi") {
            definitions +=
                "        - { x-\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "] }\n"
        }
        let head = """
            topics: { raw: {} }
            transforms:
              t: { type: set, inputs: [raw], fields: { x: '1' } }
            sinks:
              out: { type: blackhole, inputs: [t] }
            tests:
              - name: bomb
                expect: { from: t, count: 1 }
                input:
                  at: raw
                  records:

            """
        let bombFile = try directory.write("bomb.yaml", head + definitions)
        let started = Date()
        let bomb = try run(Paths.weir, ["validate", bombFile])
        #expect(bomb.status == 1)
        #expect(
            bomb.stdoutText.contains(
                "bomb.yaml:19:11: a record of test 'bomb' is too big: the file's values may hold 100000 items and 64 levels"),
            "\(bomb.stdoutText)")
        #expect(Date().timeIntervalSince(started) < 20)

        // Many aliases of one big value share the file's budget.
        let big = "        - &big { x: [" + Array(repeating: "1", count: 60_000).joined(separator: ",") + "] }\n"
        let manyFile = try directory.write("many.yaml", head + big + String(repeating: "        - *big\n", count: 1_000))
        let many = try run(Paths.weir, ["validate", manyFile])
        #expect(many.status == 1)
        #expect(many.stdoutText.contains("many.yaml:12:11: a record of test 'bomb' is too big"), "\(many.stdoutText.prefix(500))")

        let deep = head + "        - { x: " + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + " }\n"
        let deepFile = try directory.write("deep.yaml", deep)
        let nested = try run(Paths.weir, ["validate", deepFile])
        #expect(nested.status == 1)
        #expect(nested.stdoutText.contains("deep.yaml:12:11: YAML syntax:"), "\(nested.stdoutText.prefix(300))")
        #expect(nested.stdoutText.contains("nesting"), "\(nested.stdoutText.prefix(300))")
    }

    @Test("JSON nested 100,000 deep fails its record (dead-lettered), and a backtracking regex is bounded")
    func deepJSONAndBacktracking() throws {
        let directory = TemporaryDirectory()
        let deepJSON = #"{"a":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        let words = String(repeating: "abcde ", count: 40) + "!"
        try Data((deepJSON + "\n" + words + "\n" + #"{"ok":1}"# + "\n").utf8).write(to: URL(fileURLWithPath: directory.path + "/in.log"))
        let result = try runPipeline(
            """
            name: p
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(directory.path)/in.log"], topic: raw }
            transforms:
              json: { type: parse_json, inputs: [raw] }
              words: { type: parse_regex, inputs: [raw], pattern: '^(?<w>(\\w+\\s?)*)$' }
            sinks:
              a: { type: file, inputs: [json], path: "\(directory.path)/json.txt", encoding: json }
              b: { type: file, inputs: [words], path: "\(directory.path)/words.txt", encoding: json }
            """, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/json.txt"))).count == 1, "only {\"ok\":1} parses")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/words.txt"), "nothing matched, so nothing was written")
        // parse_json fails two of the three lines, parse_regex all three.
        let letters = try weir(directory.path + "/data", ["consume", "p.dlq"])
        #expect(lines(of: letters.stdout).count == 5)
    }
}
