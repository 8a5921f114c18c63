import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// Typed plugin options end to end (issue 12): `weir validate` refuses a wrong type at
/// its place, a default reaches the plugin, and `weir plugins describe` shows both.
@Suite("plugins: typed options")
struct PluginOptionTests {
    /// Writes the options of its init message to options.json, then passes records on.
    static let echo = """
        def setup(options):
            with open("options.json", "w") as f:
                json.dump(options, f, sort_keys=True)
            return options
        weir_plugin.run_transform(lambda record, options: record, setup=setup)
        """

    static let options = """
          greeting: { type: string, default: hello, description: what to say }
          times: { type: integer, default: 2 }
          ratio: { type: number }
          loud: { type: boolean, default: false }
          fields: { type: list, default: [message] }
          labels: { type: object, default: { team: ops, level: 3 } }
        """

    func bench(_ transformOptions: String) throws -> PluginBench {
        let bench = PluginBench()
        try bench.plugin("echo", kind: "transform", options: Self.options, python: Self.echo)
        try bench.input(3)
        try bench.write(
            """
            name: p
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(bench.root)/in.log"], topic: raw }
            transforms:
              e: { type: echo, inputs: [raw]\(transformOptions) }
            sinks:
              out: { type: file, inputs: [e], path: "\(bench.root)/out.txt", encoding: text }
            """)
        return bench
    }

    @Test("an option of the wrong type is a validation error at its line and column, and the run does not start")
    func wrongType() throws {
        let bench = try bench(", greeting: 42, loud: yes")
        let result = try run(Paths.weir, ["validate", bench.pipeline])
        #expect(result.status == 1)
        #expect(
            result.stdoutText.contains(#"p.yaml:6:45: greeting of 'e' must be a string, not the integer 42 (quote it to mean text: "42")"#),
            "\(result.stdoutText)")
        #expect(result.stdoutText.contains("p.yaml:6:55: loud of 'e' must be true or false, not 'yes'"), "\(result.stdoutText)")
        let ran = try bench.run()
        #expect(ran.status != 0)
        #expect(try bench.output().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: bench.root + "/plugins/echo/options.json"), "the plugin never started")
    }

    @Test("the plugin is sent the default of each option the pipeline leaves out, and the value of each it sets")
    func defaultsReachThePlugin() throws {
        let bench = try bench(#", greeting: "42", ratio: 0.5, fields: [message, host]"#)
        let result = try bench.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try bench.output() == ["line 0", "line 1", "line 2"])
        let sent = try String(contentsOfFile: bench.root + "/plugins/echo/options.json", encoding: .utf8)
        #expect(
            sent
                == #"{"fields": ["message", "host"], "greeting": "42", "labels": {"level": 3, "team": "ops"}, "loud": false, "ratio": 0.5, "times": 2}"#
        )
    }

    @Test("plugins describe shows each option's type and default, and parallelism, as text and as JSON")
    func describe() throws {
        let bench = try bench("")
        let text = try run(Paths.weir, ["plugins", "describe", "echo", bench.pipeline])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdoutText.split(separator: "\n").map(String.init)
        #expect(
            Array(lines.dropFirst(2)) == [
                "  greeting: string, default \"hello\" — what to say",
                "  times: integer, default 2",
                "  ratio: number",
                "  loud: boolean, default false",
                "  fields: list, default [\"message\"]",
                "  labels: object, default {\"team\":\"ops\",\"level\":3}",
                "  timeout_ms: integer 1…3600000, default 30000 — longest wait for a reply (or for the plugin to read its stdin)",
                "  max_attempts: integer 1…100, default 3 — refusals of a request, or crashes on requests holding a record, before those records fail",
                "  parallelism: integer 1…1024, default 1 — members that share the partitions (for a plugin: a process each)",
            ], "\(text.stdoutText)")

        let json = try run(Paths.weir, ["plugins", "describe", "echo", "--format", "json", bench.pipeline])
        #expect(json.status == 0, "\(json.stderr)")
        let described = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [[String: Any]])
        let options = try #require(described.first?["options"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: options.map { ($0["name"] as? String ?? "", $0) })
        #expect(
            options.map { $0["name"] as? String } == [
                "greeting", "times", "ratio", "loud", "fields", "labels", "timeout_ms", "max_attempts", "parallelism",
            ])
        #expect(byName["greeting"]?["type"] as? String == "string")
        #expect(byName["greeting"]?["default"] as? String == "hello")
        #expect(byName["greeting"]?["description"] as? String == "what to say")
        #expect(byName["times"]?["default"] as? Int == 2)
        #expect(byName["ratio"]?["default"] == nil)
        #expect(byName["loud"]?["default"] as? Bool == false)
        #expect(byName["fields"]?["default"] as? [String] == ["message"])
        #expect((byName["labels"]?["default"] as? [String: Any])?["team"] as? String == "ops")
        #expect(byName["parallelism"]?["type"] as? String == "integer 1…1024")
        #expect(byName["parallelism"]?["default"] as? Int == 1)
        #expect(byName["parallelism"]?["required"] as? Bool == false)
    }
}
