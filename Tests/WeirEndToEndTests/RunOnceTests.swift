import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// `weir run --once` end to end on the real OpenSSH log: file → topic → parse_regex →
/// filter → file, and a rerun that adds nothing.
@Suite("weir run --once")
struct RunOnceTests {
    @Test("ssh failed logins reach the output file exactly once across reruns")
    func sshAudit() throws {
        let directory = TemporaryDirectory()
        let input = Paths.loghub + "/OpenSSH_2k.log"
        let out = directory.path + "/out/failures.jsonl"
        let pipeline = try directory.write(
            "ssh.yaml",
            """
            name: ssh
            topics:
              raw: { partitions: 4, compression: gzip }
            sources:
              logs: { type: file, paths: ["\(input)"], topic: raw }
            transforms:
              parsed:
                type: parse_regex
                inputs: [raw]
                pattern: '(?<month>\\w{3}) +(?<day>\\d+) (?<time>\\S+) (?<host>\\S+) sshd\\[(?<pid>\\d+)\\]: (?<message>.*)'
              failures:
                type: filter
                inputs: [parsed]
                condition: '.message starts_with "Failed password"'
            sinks:
              out: { type: file, inputs: [failures], path: "\(out)", encoding: json }
            """)
        let data = directory.path + "/data"
        let first = try runPipeline(at: pipeline, data: data, quiet: false)
        #expect(first.status == 0, "\(first.stderr)")
        let expected = lines(of: try Data(contentsOf: URL(fileURLWithPath: input))).filter { $0.contains("]: Failed password") }
        #expect(expected.count > 100)
        var written = lines(of: try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written.count == expected.count)
        let objects = try written.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.allSatisfy { ($0["message"] as? String)?.hasPrefix("Failed password") == true && $0["pid"] is String })
        #expect(
            Set(objects.compactMap { $0["pid"] as? String })
                == Set(
                    expected.map { line in
                        String(line.split(separator: "[")[1].split(separator: "]")[0])
                    }))

        // A second run finds the file finished and the sink caught up: nothing new.
        let second = try runPipeline(at: pipeline, data: data, quiet: false)
        #expect(second.status == 0, "\(second.stderr)")
        written = lines(of: try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written.count == expected.count)
        #expect(second.stderr.contains("appended 0 records, wrote 0"))
    }

    @Test("a sink resumes from its committed length: bytes written after the last commit are cut")
    func sinkResumes() throws {
        let directory = TemporaryDirectory()
        let out = directory.path + "/out.txt"
        let pipeline = try directory.write(
            "gen.yaml",
            """
            name: gen
            topics: { t: {} }
            sources:
              g: { type: generate, count: 1000, lines: ["tick"], topic: t }
            sinks:
              o: { type: file, inputs: [t], path: "\(out)", encoding: text }
            """)
        let data = directory.path + "/data"
        #expect(try runPipeline(at: pipeline, data: data, quiet: false).status == 0)
        // A crashed run wrote (and even fsynced) lines it never committed.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("uncommitted garbage\n".utf8))
        try handle.close()
        // generate remembers its count: the rerun adds nothing, and the garbage is cut.
        #expect(try runPipeline(at: pipeline, data: data, quiet: false).status == 0)
        let written = lines(of: try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written == (0..<1000).map { "tick \($0)" })
        #expect(!written.contains("uncommitted garbage"))
    }

    @Test("several pipelines run in one process on one log")
    func severalPipelines() throws {
        let directory = TemporaryDirectory()
        let files = try ["alpha", "beta"].map { name in
            try directory.write(
                "\(name).yaml",
                """
                topics: { \(name)_t: { partitions: 2 } }
                sources:
                  g: { type: generate, count: 500, lines: ["\(name)"], topic: \(name)_t }
                sinks:
                  o: { type: file, inputs: [\(name)_t], path: "\(directory.path)/\(name).txt", encoding: text }
                """)
        }
        let result = try runPipeline(at: files, data: directory.path + "/data")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("weir: alpha: appended 500 records, wrote 500"))
        #expect(result.stderr.contains("weir: beta: appended 500 records, wrote 500"))
        for name in ["alpha", "beta"] {
            #expect(
                Set(lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/\(name).txt"))))
                    == Set((0..<500).map { "\(name) \($0)" }))
        }
    }

    @Test("an invalid pipeline writes nothing")
    func invalidWritesNothing() throws {
        let directory = TemporaryDirectory()
        let result = try runPipeline(
            "topics: { t: {} }\nsources:\n  g: { type: generate, count: 5, topic: t }\nsinks:\n  o: { type: stdout, inputs: [tt] }\n",
            named: "bad.yaml", in: directory, quiet: false)
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.yaml:5:3: input 'tt'"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"))
    }
}

@Suite("weir run --once: safety")
struct RunOnceSafetyTests {
    func pipeline(_ directory: TemporaryDirectory, input: String, out: String) throws -> String {
        try directory.write(
            "p.yaml",
            """
            name: p
            topics: { t: {} }
            sources:
              f: { type: file, paths: ["\(input)"], topic: t }
            sinks:
              o: { type: file, inputs: [t], path: "\(out)", encoding: text }
            """)
    }

    @Test("lines appended to an input file after a run are read by the next run, once")
    func growingInput() throws {
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        let out = directory.path + "/out.txt"
        try Data("a1\na2\n".utf8).write(to: URL(fileURLWithPath: input))
        let p = try pipeline(directory, input: input, out: out)
        #expect(try runPipeline(at: p, data: directory.path + "/data", quiet: false).status == 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("a3\n".utf8))
        try handle.close()
        // Another file that starts like the first one is a different file.
        try Data("a1\na2\nb1\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/in2.log"))
        #expect(try runPipeline(at: p, data: directory.path + "/data", quiet: false).status == 0)
        #expect(lines(of: try Data(contentsOf: URL(fileURLWithPath: out))) == ["a1", "a2", "a3"])
    }

    @Test("a sink pointed at another path, or at a file it did not write, refuses instead of cutting it")
    func foreignOutput() throws {
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        try Data("x\n".utf8).write(to: URL(fileURLWithPath: input))
        let precious = directory.path + "/precious.txt"
        try Data("do not touch\n".utf8).write(to: URL(fileURLWithPath: precious))
        let refused = try runPipeline(
            at: try pipeline(directory, input: input, out: precious), data: directory.path + "/data", quiet: false)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("already holds data this pipeline did not write"))
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "do not touch\n")

        let other = TemporaryDirectory()
        #expect(
            try runPipeline(at: try pipeline(other, input: input, out: other.path + "/a.txt"), data: other.path + "/data", quiet: false)
                .status == 0)
        let moved = try runPipeline(at: try pipeline(other, input: input, out: precious), data: other.path + "/data", quiet: false)
        #expect(moved.status != 0)
        #expect(moved.stderr.contains("now points at"))
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "do not touch\n")
    }

    @Test("what cannot run (a generate without count under --once) is refused before anything is written")
    func notRunnable() throws {
        let directory = TemporaryDirectory()
        let result = try runPipeline(
            "topics: { t: {} }\nsources:\n  g: { type: generate, topic: t }\nsinks:\n  o: { type: blackhole, inputs: [t] }\n",
            named: "endless.yaml", in: directory, quiet: false)
        #expect(result.status != 0)
        #expect(result.stderr.contains("endless.yaml:3:6: source 'g' would never end under run --once: it has no count; give it one"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"))
    }
}
