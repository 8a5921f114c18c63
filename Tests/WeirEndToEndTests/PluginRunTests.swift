import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// The example plugins of `plugins/`, each in its pipeline of `pipelines/`, run with
/// `--once` (the `plugins` link in `pipelines/` finds them), and a transform's restart.
@Suite("plugins: examples end to end")
struct PluginRunTests {
    @Test("sqlite_sink stores every event once (also when batches are sent again); sqlite_rows reads new rows incrementally")
    func sqliteExamples() throws {
        let directory = TemporaryDirectory()
        let (data, out) = (directory.path + "/data", directory.path + "/out")
        let environment = ["WEIR_SAMPLES": Paths.packageRoot + "/samples", "WEIR_OUT": out]
        func runOnce(_ name: String) throws {
            let result = try runPipeline(at: Paths.packageRoot + "/pipelines/\(name).yaml", data: data, environment: environment)
            #expect(result.status == 0, "\(name): \(result.stderr)")
        }
        func sql(_ query: String) throws -> String {
            let result = try run(
                "/usr/bin/env",
                [
                    "python3", "-c",
                    "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
                        + "r = db.execute(sys.argv[2]).fetchall(); db.commit(); print(r[0][0] if r else '')", out + "/ssh.db", query,
                ])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let source = lines(of: try Data(contentsOf: URL(fileURLWithPath: Paths.packageRoot + "/samples/loghub/OpenSSH_2k.log")))
        try runOnce("ssh-to-sqlite")
        #expect(try sql("SELECT count(*) FROM sshd") == "2000")
        #expect(try sql("SELECT count(DISTINCT fields) FROM sshd") == "\(Set(source).count)")

        // Every batch sent again (the sink's checkpoint gone, the group back at the
        // start): the keys make it a no-op.
        try FileManager.default.removeItem(atPath: data + "/pipelines/ssh-to-sqlite/sink-db.checkpoint")
        let reset = try weir(data, ["groups", "reset-offsets", "ssh-to-sqlite.db", "--topic", "ssh_events", "--to", "earliest"])
        #expect(reset.status == 0, "\(reset.stderr)")
        try runOnce("ssh-to-sqlite")
        #expect(try sql("SELECT count(*) FROM sshd") == "2000")

        try runOnce("sqlite-invalid-users")
        let invalid = source.filter { $0.contains("sshd[") && $0.contains("]: Invalid user ") }
        #expect(lines(of: try Data(contentsOf: URL(fileURLWithPath: out + "/invalid-users.jsonl"))).count == invalid.count)
        // New rows: the next run reads only them.
        _ = try sql(
            "INSERT INTO sshd (topic, partition, \"offset\", message, fields) VALUES ('manual', 0, 1, 'Invalid user newbie from 10.0.0.1', '{}'), ('manual', 0, 2, 'Accepted password for x', '{}')"
        )
        try runOnce("sqlite-invalid-users")
        let report = lines(of: try Data(contentsOf: URL(fileURLWithPath: out + "/invalid-users.jsonl")))
        #expect(report.count == invalid.count + 1)
        #expect(report.last?.contains(#""user":"newbie""#) == true)
    }

    @Test("the mask_pii example plugin masks every IP address of the OpenSSH log, every line once")
    func maskExample() throws {
        let directory = TemporaryDirectory()
        let environment = ["WEIR_SAMPLES": Paths.packageRoot + "/samples", "WEIR_OUT": directory.path + "/out"]
        let result = try runPipeline(
            at: Paths.packageRoot + "/pipelines/ssh-masked.yaml", data: directory.path + "/data",
            arguments: ["--plugins-dir", Paths.packageRoot + "/plugins"], environment: environment)
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
        try Data(
            """
            name: flaky
            kind: transform
            command: ["python3", "flaky.py"]
            description: exits the first time it sees a batch, then works
            """.utf8
        ).write(to: URL(fileURLWithPath: directory.path + "/plugins/flaky/plugin.yaml"))
        try Data(
            """
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
            """.utf8
        ).write(to: URL(fileURLWithPath: directory.path + "/plugins/flaky/flaky.py"))
        try Data((0..<100).map { "line \($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: directory.path + "/in.log"))
        let result = try runPipeline(
            """
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(directory.path)/in.log"], topic: raw }
            transforms:
              up: { type: flaky, inputs: [raw] }
            sinks:
              out: { type: file, inputs: [up], path: "\(directory.path)/out.txt", encoding: text }
            """, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "plugin flaky: it exited with status 3 without answering batch 1; restarting it and sending the 100 records of batch 1 again as two requests"
            ))
        // The plugin's stderr, line by line, with its name.
        #expect(result.stderr.contains("weir: plugin flaky: saw the first line\n"))
        #expect(lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/out.txt"))) == (0..<100).map { "LINE \($0)" })
    }
}
