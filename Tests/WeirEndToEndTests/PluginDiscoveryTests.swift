import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// Out-of-process plugins found in plugins/ folders (issue 4, first part): manifests are
/// checked with positions, pipelines naming them validate against their option schema,
/// `weir plugins list/describe` show them.
@Suite("plugins: discovery and validation")
struct PluginDiscoveryTests {
    func setUp(_ directory: TemporaryDirectory, manifest: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory.path + "/plugins/mask_pii", withIntermediateDirectories: true)
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: directory.path + "/plugins/mask_pii/plugin.yaml"))
        let pipeline = try directory.write(
            "p.yaml",
            """
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(directory.path)/in.log"], topic: raw }
            transforms:
              masked: { type: mask_pii, inputs: [raw], replacment: "***" }
            sinks:
              out: { type: stdout, inputs: [masked] }
            """)
        return pipeline
    }

    static let manifest = """
        name: mask_pii
        kind: transform
        command: ["python3", "mask.py"]
        description: masks IP and e-mail addresses in the message
        options:
          fields: { type: list, description: fields to mask }
          replacement: { type: string, required: true }
        """

    @Test("a pipeline using a plugin is checked against its option schema, with positions")
    func validateAgainstSchema() throws {
        let directory = TemporaryDirectory()
        let pipeline = try setUp(directory, manifest: Self.manifest)
        let result = try run(Paths.weir, ["validate", pipeline])
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("p.yaml:5:11: transform 'masked' (mask_pii) needs 'replacement'"))
        #expect(
            result.stdoutText.contains("p.yaml:5:44: unknown option 'replacment' for transform type mask_pii (did you mean 'replacement'?)")
        )

        try directory.write(
            "p.yaml", try String(contentsOfFile: pipeline, encoding: .utf8).replacingOccurrences(of: "replacment", with: "replacement"))
        #expect(try run(Paths.weir, ["validate", pipeline]).status == 0)
        // A misspelt plugin type, and options of the wrong type on source and sink
        // plugins (the examples of plugins/), each at its place.
        let elsewhere = TemporaryDirectory()
        let other = try elsewhere.write(
            "q.yaml",
            """
            topics: { raw: {} }
            sources:
              rows: { type: sqlite_rows, topic: raw, path: db.sqlite, table: [t], batch: lots }
            transforms:
              masked: { type: mask_pi, inputs: [raw] }
            sinks:
              db: { type: sqlite_sink, inputs: [raw], paht: out.db, timeout_ms: 0 }
            """)
        let unknown = try run(Paths.weir, ["validate", "--plugins-dir", Paths.packageRoot + "/plugins", other])
        #expect(unknown.status == 1)
        for expected in [
            "q.yaml:3:66: table of 'rows' must be a single value, not a list",
            "q.yaml:3:78: batch of 'rows' must be an integer, not 'lots'",
            "q.yaml:5:19: unknown transform type 'mask_pi' (did you mean 'mask_pii'?); known: aggregate, dedupe, dedupe_recent, filter, lookup, mask_pii, parse_",
            "q.yaml:7:7: sink 'db' (sqlite_sink) needs 'path'",
            "q.yaml:7:43: unknown option 'paht' for sink type sqlite_sink (did you mean 'path'?); it takes inputs, group, parallelism, on_error, max_lag, path, table, timeout_ms, max_attempts",
            "q.yaml:7:69: timeout_ms of 'db' must be 1…3600000, not 0",
        ] {
            #expect(unknown.stdoutText.contains(expected), "\(expected) in \(unknown.stdoutText)")
        }

        // This plugin's program does not exist: the run stops with one clear line, nothing committed.
        try Data("a\nb\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/in.log"))
        let ran = try runPipeline(at: pipeline, data: directory.path + "/data")
        #expect(ran.status == 1)
        #expect(
            ran.stderr.contains("transform 'masked': plugin mask_pii (\(directory.path)/plugins/mask_pii/plugin.yaml) cannot run"),
            "\(ran.stderr)")
        let group = try weir(directory.path + "/data", ["groups", "describe", "p.out"])
        #expect(!group.stdoutText.contains(" 2 "), "nothing committed: \(group.stdoutText)")
    }

    @Test("a bad plugin.yaml is reported with its positions")
    func badManifest() throws {
        let directory = TemporaryDirectory()
        let pipeline = try setUp(
            directory,
            manifest: """
                name: mask_pii
                kind: filter
                command: []
                options:
                  fields: { type: lists }
                  timeout_ms: { type: integer }
                """)
        let result = try run(Paths.weir, ["validate", pipeline])
        #expect(result.status == 1)
        let manifest = directory.path + "/plugins/mask_pii/plugin.yaml"
        #expect(result.stdoutText.contains("\(manifest):2:7: kind must be source, transform or sink, not 'filter'"))
        #expect(result.stdoutText.contains("\(manifest):3:10: command must name the program to start"))
        #expect(
            result.stdoutText.contains(
                "\(manifest):5:19: type of option 'fields' must be one of string, integer, number, boolean, list, object, not 'lists' (did you mean 'list'?)"
            ))
        #expect(result.stdoutText.contains("\(manifest):6:3: option 'timeout_ms' is one every "), "\(result.stdoutText)")
    }

    @Test("plugins list shows built-ins and plugins with their origin; describe shows a plugin's options; WEIR_PLUGINS_PATH is searched")
    func listAndDescribe() throws {
        let directory = TemporaryDirectory()
        _ = try setUp(directory, manifest: Self.manifest)
        let listed = try run(Paths.weir, ["plugins", "list"], environment: ["WEIR_PLUGINS_PATH": directory.path + "/plugins"])
        #expect(listed.status == 0)
        let lines = listed.stdoutText.split(separator: "\n")
        #expect(
            lines.contains {
                $0.hasPrefix("mask_pii") && $0.contains("transform") && $0.contains("/plugins/mask_pii/plugin.yaml")
                    && $0.hasSuffix("masks IP and e-mail addresses in the message")
            })
        #expect(lines.contains { $0.hasPrefix("parse_regex") && $0.contains("built-in") })
        #expect(lines.contains { $0.hasPrefix("dedupe_recent") && $0.contains("Swift plugin (Examples/DedupePlugin)") })
        let described = try run(Paths.weir, ["plugins", "describe", "mask_pii", "--plugins-dir", directory.path + "/plugins"])
        #expect(described.stdoutText.contains("command: python3 mask.py"))
        #expect(described.stdoutText.contains("replacement: string, required"))
        #expect(described.stdoutText.contains("fields: list — fields to mask"))
        let missing = try run(Paths.weir, ["plugins", "describe", "parse_regx"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no component type 'parse_regx' (did you mean 'parse_regex'?)"))
    }

    @Test("a plugin named like a built-in is refused", arguments: ["filter", "dedupe"])
    func shadowing(name: String) throws {
        let directory = TemporaryDirectory()
        let pipeline = try setUp(directory, manifest: Self.manifest.replacingOccurrences(of: "name: mask_pii", with: "name: \(name)"))
        let result = try run(Paths.weir, ["validate", pipeline])
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("plugin '\(name)' has the name of a built-in transform; rename it"))
    }
}
