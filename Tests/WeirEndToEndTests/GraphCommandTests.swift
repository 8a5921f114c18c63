import Foundation
import Testing
import WeirTestSupport

/// `weir graph` end to end: its DOT goes through Graphviz's `dot` (installed by
/// scripts/bootstrap: apt-get install graphviz), its Mermaid and JSON are what the model
/// says, and a bad file is reported as `weir validate` reports it.
@Suite("weir graph")
struct GraphCommandTests {
    static let dot = "/usr/bin/dot"

    static var examples: [String] {
        let folder = Paths.packageRoot + "/pipelines"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted().map {
            folder + "/" + $0
        }
    }

    @Test("every example pipeline in one graph: dot accepts it, with one node per node of the JSON model")
    func examplesThroughDot() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.dot), "Graphviz's dot is needed: apt-get install graphviz")
        let files = Self.examples
        #expect(files.count >= 10)
        let graph = try run(Paths.weir, ["graph"] + files)
        #expect(graph.status == 0, "\(graph.stderr)")
        #expect(graph.stdoutText.hasPrefix("digraph weir {\n  rankdir=LR;\n"))
        #expect(graph.stdoutText.contains("subgraph \"cluster_\(files.count - 1)\""))
        let json = try run(Paths.weir, ["graph", "--format", "json"] + files)
        #expect(json.status == 0, "\(json.stderr)")
        let model = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let nodes = try #require(model["nodes"] as? [[String: Any]])
        #expect((model["pipelines"] as? [Any])?.count == files.count)
        // `-Tplain` lists each node once: a quoted id with ':' or '/' is one node, not a port.
        let plain = try run(Self.dot, ["-Tplain"], input: graph.stdout)
        #expect(plain.status == 0, "\(plain.stderr)")
        let drawn = plain.stdoutText.split(separator: "\n").filter { $0.hasPrefix("node ") }
        #expect(drawn.count == nodes.count)
        let svg = try run(Self.dot, ["-Tsvg"], input: graph.stdout)
        #expect(svg.status == 0 && svg.stderr.isEmpty, "\(svg.stderr)")
        #expect(svg.stdoutText.contains("<svg"))
    }

    @Test("labels with quotes and backslashes reach dot intact; --format mermaid is a flowchart")
    func oddLabels() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.dot), "Graphviz's dot is needed: apt-get install graphviz")
        let directory = TemporaryDirectory()
        let file = try directory.write(
            "odd.yaml",
            """
            name: odd
            topics:
              raw: {}
            sources:
              s: { type: generate, topic: raw }
            transforms:
              r:
                type: route
                inputs: [raw]
                routes:
                  'say "hi" \\ #1 <b>': 'true'
            sinks:
              out: { type: stdout, inputs: ['r.say "hi" \\ #1 <b>'] }
            """)
        let graph = try run(Paths.weir, ["graph", file])
        #expect(graph.status == 0, "\(graph.stderr)")
        let plain = try run(Self.dot, ["-Tplain"], input: graph.stdout)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdoutText.contains(#""say \"hi\" \\ #1 <b>""#), "\(plain.stdoutText)")
        let mermaid = try run(Paths.weir, ["graph", "--format", "mermaid", file])
        #expect(mermaid.status == 0, "\(mermaid.stderr)")
        #expect(mermaid.stdoutText.hasPrefix("flowchart LR\n"))
        #expect(mermaid.stdoutText.contains(#"n2 -->|"say #34;hi#34; \ #35;1 #60;b#62;"| n3"#))
    }

    @Test("a file with problems: each as file:line:column: message on stderr, nothing drawn, exit 1")
    func problems() throws {
        let directory = TemporaryDirectory()
        let bad = try directory.write("bad.yaml", "name: bad\nsources:\n  s: { type: nope, topic: raw }\n")
        let result = try run(Paths.weir, ["graph", Paths.packageRoot + "/pipelines/apache-levels.yaml", bad])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("\(bad):3:"), "\(result.stderr)")
        #expect(result.stderr.contains("unknown source type 'nope'"))
    }
}
