import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// `--format json` of the list and describe commands parses and has the fields
/// docs/json-output.md names.
@Suite("--format json")
struct JSONOutputTests {
    func json(_ result: CommandResult) throws -> Any {
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONSerialization.jsonObject(with: result.stdout)
    }

    @Test("topics, groups and plugins print the documented fields")
    func documentedFields() throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        #expect(try weir(data, ["topics", "create", "raw", "--partitions", "2", "--compression", "gzip"]).status == 0)
        #expect(try weir(data, ["produce", "raw"], input: Data("a\nb\nc\n".utf8)).status == 0)
        #expect(try weir(data, ["consume", "raw", "--group", "g"]).status == 0)

        let topics = try #require(try json(try weir(data, ["topics", "list", "--format", "json"])) as? [[String: Any]])
        #expect(topics.count == 1)
        #expect(
            topics[0]["name"] as? String == "raw" && topics[0]["partitions"] as? Int == 2 && topics[0]["compression"] as? String == "gzip")

        let topic = try #require(try json(try weir(data, ["topics", "describe", "raw", "--format", "json"])) as? [String: Any])
        #expect(topic["name"] as? String == "raw")
        #expect((topic["incarnation"] as? String)?.count == 36)
        let config = try #require(topic["config"] as? [String: Any])
        #expect(
            Set(config.keys) == [
                "partitions", "compression", "compression_level", "flush", "flush_interval_ms", "flush_interval_bytes",
                "segment_bytes", "segment_ms", "retention_bytes", "retention_ms",
            ])
        #expect(config["retention_bytes"] is NSNull, "no limit is null")
        let partitions = try #require(topic["partitions"] as? [[String: Any]])
        #expect(
            partitions.map { Set($0.keys) }
                == Array(repeating: ["partition", "start_offset", "end_offset", "records", "size_bytes", "segments"], count: 2))
        #expect(partitions.compactMap { $0["records"] as? Int }.reduce(0, +) == 3)

        let groups = try #require(try json(try weir(data, ["groups", "list", "--format", "json"])) as? [[String: String]])
        #expect(groups == [["name": "g"]])
        let group = try #require(try json(try weir(data, ["groups", "describe", "g", "--format", "json"])) as? [String: Any])
        #expect(group["group"] as? String == "g")
        let rows = try #require(group["partitions"] as? [[String: Any]])
        #expect(
            rows.count == 2
                && rows.allSatisfy { Set($0.keys) == ["topic", "partition", "committed", "end", "lag"] && $0["lag"] as? Int == 0 })

        let types = try #require(
            try json(try run(Paths.weir, ["plugins", "list", "--format", "json", "--plugins-dir", Paths.packageRoot + "/plugins"]))
                as? [[String: String]])
        #expect(types.allSatisfy { Set($0.keys) == ["type", "kind", "origin", "summary"] })
        #expect(
            types.contains {
                $0["type"] == "sqlite_sink" && $0["kind"] == "sink" && $0["origin"]?.hasSuffix("/plugins/sqlite_sink/plugin.yaml") == true
            })
        #expect(types.contains { $0["type"] == "filter" && $0["origin"] == "built-in" })

        let described = try #require(
            try json(
                try run(
                    Paths.weir, ["plugins", "describe", "sqlite_rows", "--format", "json", "--plugins-dir", Paths.packageRoot + "/plugins"])
            ) as? [[String: Any]])
        #expect(described.count == 1)
        #expect(described[0]["command"] as? [String] == ["python3", "sqlite_rows.py"])
        let options = try #require(described[0]["options"] as? [[String: Any]])
        #expect(
            options.contains {
                $0["name"] as? String == "path" && $0["type"] as? String == "string" && $0["required"] as? Bool == true
                    && $0["description"] as? String == "the database file"
            })
        let file = try #require(try json(try run(Paths.weir, ["plugins", "describe", "file", "--format", "json"])) as? [[String: Any]])
        #expect(Set(file.compactMap { $0["kind"] as? String }) == ["source", "sink"])
    }

    @Test("--log-format json writes each log line as one JSON object on stderr")
    func jsonLogs() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/in/dir.log", withIntermediateDirectories: true)
        try Data("hi\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/in/a.log"))
        let result = try runPipeline(
            """
            name: p
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(directory.path)/in/*"], topic: raw }
            sinks:
              out: { type: blackhole, inputs: [raw] }
            """, in: directory, arguments: ["--log-format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let logLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("{") }
        let entries = try logLines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let skipped = try #require(entries.first { $0["message"] as? String == "not a regular file; skipped" })
        #expect(skipped["level"] as? String == "warning")
        #expect(skipped["label"] as? String == "weir")
        #expect((skipped["metadata"] as? [String: String])?["path"] == directory.path + "/in/dir.log")
        #expect((skipped["time"] as? String)?.hasSuffix("Z") == true)
    }

    @Test("shell completions and the version")
    func completionsAndVersion() throws {
        for shell in ["bash", "zsh", "fish"] {
            let script = try run(Paths.weir, ["--generate-completion-script", shell])
            #expect(script.status == 0)
            #expect(script.stdoutText.contains("topics") && script.stdoutText.contains("plugins"), "\(shell)")
        }
        let version = try run(Paths.weir, ["--version"])
        #expect(version.status == 0 && !version.stdoutText.isEmpty)
    }
}
