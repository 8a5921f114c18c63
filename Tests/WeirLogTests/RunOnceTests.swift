import Foundation
import Testing
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
        let pipeline = directory.path + "/ssh.yaml"
        try Data("""
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
            """.utf8).write(to: URL(fileURLWithPath: pipeline))
        let data = directory.path + "/data"
        let first = try weir(data, ["run", "--once", pipeline])
        #expect(first.status == 0, "\(first.stderr)")
        let expected = lines(of: try Data(contentsOf: URL(fileURLWithPath: input))).filter { $0.contains("]: Failed password") }
        #expect(expected.count > 100)
        var written = lines(of: try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written.count == expected.count)
        let objects = try written.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.allSatisfy { ($0["message"] as? String)?.hasPrefix("Failed password") == true && $0["pid"] is String })
        #expect(Set(objects.compactMap { $0["pid"] as? String }) == Set(expected.map { line in
            String(line.split(separator: "[")[1].split(separator: "]")[0])
        }))

        // A second run finds the file finished and the sink caught up: nothing new.
        let second = try weir(data, ["run", "--once", pipeline])
        #expect(second.status == 0, "\(second.stderr)")
        written = lines(of: try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written.count == expected.count)
        #expect(second.stderr.contains("appended 0 records, wrote 0"))
    }

    @Test("a sink resumes from its committed length: bytes written after the last commit are cut")
    func sinkResumes() throws {
        let directory = TemporaryDirectory()
        let out = directory.path + "/out.txt"
        let pipeline = directory.path + "/gen.yaml"
        try Data("""
            name: gen
            topics: { t: {} }
            sources:
              g: { type: generate, count: 1000, lines: ["tick"], topic: t }
            sinks:
              o: { type: file, inputs: [t], path: "\(out)", encoding: text }
            """.utf8).write(to: URL(fileURLWithPath: pipeline))
        let data = directory.path + "/data"
        #expect(try weir(data, ["run", "--once", pipeline]).status == 0)
        // A crashed run wrote (and even fsynced) lines it never committed.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("uncommitted garbage\n".utf8))
        try handle.close()
        // generate runs again (it is not a file source), so 1000 more lines arrive.
        #expect(try weir(data, ["run", "--once", pipeline]).status == 0)
        let written = lines(of: try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written.count == 2000)
        #expect(!written.contains("uncommitted garbage"))
    }

    @Test("an invalid pipeline writes nothing")
    func invalidWritesNothing() throws {
        let directory = TemporaryDirectory()
        let pipeline = directory.path + "/bad.yaml"
        try Data("topics: { t: {} }\nsources:\n  g: { type: generate, count: 5, topic: t }\nsinks:\n  o: { type: stdout, inputs: [tt] }\n".utf8)
            .write(to: URL(fileURLWithPath: pipeline))
        let result = try weir(directory.path + "/data", ["run", "--once", pipeline])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.yaml:5:3: input 'tt'"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"))
    }
}
