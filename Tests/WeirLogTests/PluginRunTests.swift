import Foundation
import Testing
@testable import WeirLog

/// Transform plugins running out of process (issue 4, first part).
@Suite("plugins: transforms out of process")
struct PluginRunTests {
    @Test("the mask_pii example plugin masks every IP address of the OpenSSH log, every line once")
    func maskExample() throws {
        let directory = TemporaryDirectory()
        let environment = ["WEIR_SAMPLES": Paths.packageRoot + "/samples", "WEIR_OUT": directory.path + "/out"]
        let result = try run(Paths.weir, ["run", "--once", "--quiet", "--plugins-dir", Paths.packageRoot + "/plugins",
                                          "--data-dir", directory.path + "/data", Paths.packageRoot + "/pipelines/ssh-masked.yaml"],
                             environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let masked = lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/out/ssh-masked.log")))
        let source = lines(of: try Data(contentsOf: URL(fileURLWithPath: Paths.packageRoot + "/samples/loghub/OpenSSH_2k.log")))
        #expect(masked.count == source.count)
        let ip = try NSRegularExpression(pattern: #"\b(?:\d{1,3}\.){3}\d{1,3}\b"#)
        #expect(masked.allSatisfy { ip.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) == nil })
        let expected = source.map { ip.stringByReplacingMatches(in: $0, range: NSRange($0.startIndex..., in: $0), withTemplate: "<ip>") }
        #expect(masked.sorted() == expected.sorted())
    }

    @Test("a plugin that crashes mid-batch is restarted and the batch sent again: nothing lost")
    func crashRestarts() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/plugins/flaky", withIntermediateDirectories: true)
        try Data("""
            name: flaky
            kind: transform
            command: ["python3", "flaky.py"]
            description: exits the first time it sees a batch, then works
            """.utf8).write(to: URL(fileURLWithPath: directory.path + "/plugins/flaky/plugin.yaml"))
        try Data("""
            import os, sys
            sys.path.insert(0, "\(Paths.packageRoot)/plugins")
            import weir_plugin
            def upper(record, options):
                if record["fields"]["message"] == "line 0":
                    print("saw the first line", file=sys.stderr, flush=True)
                if not os.path.exists("crashed.once"):
                    open("crashed.once", "w").close()
                    os._exit(3)
                record["fields"]["message"] = record["fields"]["message"].upper()
                return record
            weir_plugin.run_transform(upper)
            """.utf8).write(to: URL(fileURLWithPath: directory.path + "/plugins/flaky/flaky.py"))
        try Data((0..<100).map { "line \($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: directory.path + "/in.log"))
        let pipeline = directory.path + "/p.yaml"
        try Data("""
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(directory.path)/in.log"], topic: raw }
            transforms:
              up: { type: flaky, inputs: [raw] }
            sinks:
              out: { type: file, inputs: [up], path: "\(directory.path)/out.txt", encoding: text }
            """.utf8).write(to: URL(fileURLWithPath: pipeline))
        let result = try weir(directory.path + "/data", ["run", "--once", "--quiet", pipeline])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("plugin flaky: it exited (or closed its stdout) without answering batch 1; restarting it (attempt 1 of 3)"))
        // The plugin's stderr, line by line, with its name.
        #expect(result.stderr.contains("weir: plugin flaky: saw the first line\n"))
        #expect(lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/out.txt"))) == (0..<100).map { "LINE \($0)" })
    }
}
