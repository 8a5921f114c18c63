import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

@Suite("file sink: date placeholders and rotation by size")
struct FileSinkTests {
    func yaml(_ h: RunnerHarness, path: String, extra: String = "") -> String {
        """
        name: dated
        topics: { t: { partitions: 2 } }
        sources:
          f: { type: file, paths: ["\(h.path("in.log"))"], topic: t }
        transforms:
          fields: { type: parse_regex, inputs: [t], pattern: '^(?<day>\\S+) ' }
          stamped: { type: timestamp, inputs: [fields], field: day, format: yyyy-MM-dd }
        sinks:
          out: { type: file, inputs: [stamped], path: "\(path)", encoding: text\(extra) }
        """
    }

    @Test("%Y-%m-%d in the path puts each record in the file of its timestamp's day")
    func placeholders() throws {
        let h = try RunnerHarness()
        try h.append("in.log", "2024-05-01 a\n2024-05-02 b\n2024-05-01 c\n")
        try h.runOnce(yaml(h, path: h.path("out/%Y-%m-%d.log")))
        #expect(h.lines("out/2024-05-01.log").sorted() == ["2024-05-01 a", "2024-05-01 c"])
        #expect(h.lines("out/2024-05-02.log") == ["2024-05-02 b"])

        // A crashed run's uncommitted bytes in any of the files are cut on the next run.
        try h.append("out/2024-05-02.log", "never committed\n")
        try h.append("in.log", "2024-05-02 d\n")
        try h.runOnce(yaml(h, path: h.path("out/%Y-%m-%d.log")))
        #expect(h.lines("out/2024-05-02.log") == ["2024-05-02 b", "2024-05-02 d"])
    }

    @Test("a file this sink never wrote is refused, not overwritten, even under a placeholder path")
    func foreignDatedFile() throws {
        let h = try RunnerHarness()
        try h.append("in.log", "2024-05-01 a\n")
        try h.append("out/2024-05-01.log", "someone else's\n")
        #expect(throws: (any Error).self) { try h.runOnce(yaml(h, path: h.path("out/%Y-%m-%d.log"))) }
        #expect(h.lines("out/2024-05-01.log") == ["someone else's"])
    }

    @Test("max_bytes continues a full file in <file>.1, <file>.2, …, and nothing is lost or repeated")
    func rotation() throws {
        let h = try RunnerHarness()
        let lines = (0..<30).map { "2024-05-01 line \(String(format: "%02d", $0))" }
        try h.append("in.log", lines.joined(separator: "\n") + "\n")
        try h.runOnce(yaml(h, path: h.path("out.txt"), extra: ", max_bytes: 100"))
        let names = try FileManager.default.contentsOfDirectory(atPath: h.directory).filter { $0.hasPrefix("out.txt") }.sorted()
        #expect(names.count > 5)
        #expect(names.contains("out.txt") && names.contains("out.txt.1"))
        for name in names {
            let size = (try FileManager.default.attributesOfItem(atPath: h.path(name)))[.size] as! Int
            #expect(size <= 100, "\(name) holds \(size) bytes")
        }
        #expect(names.flatMap { h.lines($0) }.sorted() == lines)
    }

    @Test("two members writing 40 dated files (more than stay open) commit every line once")
    func manyFilesTwoMembers() throws {
        let h = try RunnerHarness()
        let days = (1...40).map {
            String(format: "2024-03-%02d", ($0 - 1) % 28 + 1).replacingOccurrences(of: "2024-03", with: $0 > 28 ? "2024-04" : "2024-03")
        }
        let lines = (0..<8000).map { "\(days[$0 % days.count]) event \($0)" }
        try h.append("in.log", lines.joined(separator: "\n") + "\n")
        let yaml = """
            name: dated
            topics: { t: { partitions: 4 } }
            sources:
              f: { type: file, paths: ["\(h.path("in.log"))"], topic: t }
            transforms:
              fields: { type: parse_regex, inputs: [t], pattern: '^(?<day>\\S+) ' }
              stamped: { type: timestamp, inputs: [fields], field: day, format: yyyy-MM-dd }
            sinks:
              out: { type: file, inputs: [stamped], path: "\(h.path("out/%Y-%m-%d.log"))", encoding: text, parallelism: 2 }
            """
        try h.runOnce(yaml)
        let files = try FileManager.default.contentsOfDirectory(atPath: h.path("out"))
        #expect(files.count == 40)
        var all: [String] = []
        for file in files {
            let day = String(file.dropLast(4))
            let held = h.lines("out/" + file)
            #expect(held.allSatisfy { $0.hasPrefix(day + " ") })
            all += held
        }
        #expect(all.sorted() == lines.sorted())
    }

    @Test("a bad placeholder is a validation error at the path")
    func badPlaceholder() throws {
        let h = try RunnerHarness()
        let (_, diagnostics) = PipelineLoader().load(text: yaml(h, path: "/tmp/%Q.log"), file: "p.yaml", defaultName: "p")
        #expect(
            diagnostics.map(\.description) == [
                "p.yaml:9:47: sink 'out': path may have only %Y %m %d %H %M %S (from the record timestamp, UTC) and %% after a %"
            ])
    }
}
