import Foundation
import Testing
import WeirTestSupport

@testable import WeirPipeline

/// The graph `weir graph` draws and `GET /api/graph` serves: nodes, edges, ranks and
/// order from pipeline files as the loader reads them, and its DOT and Mermaid text.
@Suite("Pipeline graph")
struct PipelineGraphTests {
    static func definition(_ text: String, file: String = "p.yaml") throws -> PipelineDefinition {
        let result = PipelineLoader(environment: [:]).load(text: text, file: file, defaultName: "p")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        return try #require(result.definition)
    }

    static func graph(_ texts: String...) throws -> PipelineGraph {
        PipelineGraph(try texts.map { try definition($0) })
    }

    /// `id rank.order` of every node, in the graph's order.
    static func layout(_ graph: PipelineGraph) -> [String] {
        graph.nodes.map { "\($0.id) \($0.rank).\($0.order)" }
    }

    static func edges(_ graph: PipelineGraph) -> [String] {
        graph.edges.map { "\($0.from) -> \($0.to) \($0.kind.rawValue)\($0.label.map { " [\($0)]" } ?? "")" }
    }

    static let small = """
        name: small
        topics:
          raw: { partitions: 1 }
        sources:
          f:
            type: file
            paths: [/tmp/in.log]
            topic: raw
        transforms:
          p:
            type: parse_json
            inputs: [raw]
            on_error: drop
        sinks:
          out:
            type: http
            inputs: [p]
            url: http://127.0.0.1:9/in
        """

    @Test(
        "a source, a topic, a transform and a sink in a row; the sink and source send to the dead-letter topic, a transform with on_error: drop does not"
    )
    func small() throws {
        let graph = try Self.graph(Self.small)
        #expect(graph.pipelines == [.init(name: "small", file: "p.yaml")])
        #expect(
            Self.layout(graph) == [
                "source:small/f 0.0", "topic:raw 1.0", "transform:small/p 2.0", "sink:small/out 3.0", "topic:small.dlq 4.0",
            ])
        #expect(
            Self.edges(graph) == [
                "source:small/f -> topic:raw data", "topic:raw -> transform:small/p data", "transform:small/p -> sink:small/out data",
                "source:small/f -> topic:small.dlq dead_letter", "sink:small/out -> topic:small.dlq dead_letter",
            ])
        let kinds = graph.nodes.map { "\($0.kind.rawValue) \($0.type) \($0.label) \($0.pipeline ?? "-")" }
        #expect(
            kinds == [
                "source file f small", "topic topic raw -", "transform parse_json p small", "sink http out small",
                "dead_letter_topic dead_letter small.dlq small",
            ])
    }

    @Test(
        "the example apache-levels.yaml: a route's cases are labelled edges, topic sinks point at their topics and, like file sinks, send no dead letters"
    )
    func apacheExample() throws {
        let result = PipelineLoader(environment: [:]).load(path: Paths.packageRoot + "/pipelines/apache-levels.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let graph = PipelineGraph([try #require(result.definition)])
        #expect(
            Self.layout(graph) == [
                "source:apache-levels/error_log 0.0", "topic:apache_raw 1.0", "transform:apache-levels/fields 2.0",
                "transform:apache-levels/stamped 3.0", "transform:apache-levels/levels 4.0", "sink:apache-levels/errors 5.0",
                "sink:apache-levels/notices 5.1", "sink:apache-levels/other 5.2", "topic:apache-levels.dlq 5.3", "topic:apache_error 6.0",
                "topic:apache_notice 6.1",
            ])
        #expect(
            Self.edges(graph) == [
                "source:apache-levels/error_log -> topic:apache_raw data",
                "topic:apache_raw -> transform:apache-levels/fields data",
                "transform:apache-levels/fields -> transform:apache-levels/stamped data",
                "transform:apache-levels/stamped -> transform:apache-levels/levels data",
                "transform:apache-levels/levels -> sink:apache-levels/errors data [error]",
                "sink:apache-levels/errors -> topic:apache_error data",
                "transform:apache-levels/levels -> sink:apache-levels/notices data [notice]",
                "sink:apache-levels/notices -> topic:apache_notice data",
                "transform:apache-levels/levels -> sink:apache-levels/other data [_unmatched]",
                "source:apache-levels/error_log -> topic:apache-levels.dlq dead_letter",
                "transform:apache-levels/fields -> topic:apache-levels.dlq dead_letter",
                "transform:apache-levels/stamped -> topic:apache-levels.dlq dead_letter",
                "transform:apache-levels/levels -> topic:apache-levels.dlq dead_letter",
            ])
        // Its sinks (two topic sinks and a file sink) write whatever they are given: no
        // dead-letter edge comes from them.
    }

    static let producer = """
        name: front
        topics:
          raw: {}
          parsed: {}
        sources:
          in:
            type: generate
            topic: raw
        transforms:
          json:
            type: parse_json
            inputs: [raw]
        sinks:
          forward:
            type: topic
            inputs: [json]
            topic: parsed
        """

    static let consumer = """
        name: back
        topics:
          parsed: {}
          users: {}
        transforms:
          named:
            type: lookup
            inputs: [parsed]
            topic: users
            key: id
            on_error: fail
        sinks:
          print:
            type: http
            inputs: [named]
            url: http://127.0.0.1:9/in
        """

    @Test("two pipelines share a topic: one's topic sink feeds the other, whose nodes come after; a lookup's table topic is a table edge")
    func twoPipelines() throws {
        let graph = try Self.graph(Self.producer, Self.consumer)
        #expect(graph.pipelines.map(\.name) == ["front", "back"])
        #expect(
            Self.layout(graph) == [
                "source:front/in 0.0", "topic:users 0.1", "topic:raw 1.0", "transform:front/json 2.0", "sink:front/forward 3.0",
                "topic:front.dlq 3.1", "topic:parsed 4.0", "transform:back/named 5.0", "sink:back/print 6.0", "topic:back.dlq 7.0",
            ])
        #expect(
            Self.edges(graph) == [
                "source:front/in -> topic:raw data", "topic:raw -> transform:front/json data",
                "transform:front/json -> sink:front/forward data", "sink:front/forward -> topic:parsed data",
                "source:front/in -> topic:front.dlq dead_letter", "transform:front/json -> topic:front.dlq dead_letter",
                "topic:parsed -> transform:back/named data",
                "topic:users -> transform:back/named table", "transform:back/named -> sink:back/print data",
                "sink:back/print -> topic:back.dlq dead_letter",
            ])
        #expect(graph.node("topic:parsed")?.pipeline == nil)
        #expect(graph.node("topic:back.dlq")?.pipeline == "back")
    }

    @Test("a topic sink writing the topic its own pipeline reads is a cycle: ranks still come from the sources, the same every time")
    func cycle() throws {
        let loop = """
            name: loop
            topics:
              raw: {}
            sources:
              s:
                type: generate
                topic: raw
            transforms:
              t:
                type: parse_json
                inputs: [raw]
            sinks:
              back:
                type: topic
                inputs: [t]
                topic: raw
            """
        let graph = try Self.graph(loop)
        #expect(
            Self.layout(graph) == [
                "source:loop/s 0.0", "topic:raw 1.0", "transform:loop/t 2.0", "sink:loop/back 3.0", "topic:loop.dlq 3.1",
            ])
        #expect(graph.edges.contains { $0.from == "sink:loop/back" && $0.to == "topic:raw" })
        #expect(try Self.graph(loop) == graph)
    }

    @Test("a pipeline that only reads a topic starts at the topic; a graph of no pipelines is empty")
    func edgesOfTheGraph() throws {
        let graph = try Self.graph(Self.consumer)
        #expect(Self.layout(graph).prefix(2) == ["topic:parsed 0.0", "topic:users 0.1"])
        #expect(PipelineGraph([]) == PipelineGraph(pipelines: [], nodes: [], edges: []))
        #expect(
            PipelineGraph([]).dot
                == "digraph weir {\n  rankdir=LR;\n  graph [fontname=\"Helvetica\"];\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n}\n"
        )
    }

    @Test("the JSON field names are single words, the same in snake case, and it decodes back")
    func json() throws {
        let graph = try Self.graph(Self.producer, Self.consumer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let plain = try encoder.encode(graph)
        encoder.keyEncodingStrategy = .convertToSnakeCase
        #expect(try encoder.encode(graph) == plain)
        #expect(try JSONDecoder().decode(PipelineGraph.self, from: plain) == graph)
        let object = try #require(try JSONSerialization.jsonObject(with: plain) as? [String: Any])
        #expect(Set(object.keys) == ["pipelines", "nodes", "edges"])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(Set(nodes[0].keys) == ["id", "kind", "type", "label", "pipeline", "rank", "order"])
        #expect(Set(nodes[1].keys) == ["id", "kind", "type", "label", "rank", "order"])  // a topic has no pipeline
        let edges = try #require(object["edges"] as? [[String: Any]])
        #expect(Set(edges[0].keys) == ["from", "to", "kind"])
        #expect(edges.contains { $0["kind"] as? String == "dead_letter" })
        #expect(nodes.contains { $0["kind"] as? String == "dead_letter_topic" })
        let pipelines = try #require(object["pipelines"] as? [[String: Any]])
        #expect(Set(pipelines[0].keys) == ["name", "file"])
    }

    @Test("DOT of a small pipeline")
    func dot() throws {
        #expect(
            try Self.graph(Self.small).dot == """
                digraph weir {
                  rankdir=LR;
                  graph [fontname="Helvetica"];
                  node [fontname="Helvetica", fontsize=11];
                  edge [fontname="Helvetica", fontsize=10];
                  label="small"; labelloc=t;
                  "source:small/f" [label="f\\nfile", shape=cds];
                  "topic:raw" [label="raw", shape=cylinder];
                  "transform:small/p" [label="p\\nparse_json", shape=box, style=rounded];
                  "sink:small/out" [label="out\\nhttp", shape=box, peripheries=2];
                  "topic:small.dlq" [label="small.dlq", shape=cylinder, color=red, fontcolor=red];
                  "source:small/f" -> "topic:raw";
                  "topic:raw" -> "transform:small/p";
                  "transform:small/p" -> "sink:small/out";
                  "source:small/f" -> "topic:small.dlq" [style=dashed, color=red, weight=0];
                  "sink:small/out" -> "topic:small.dlq" [style=dashed, color=red, weight=0];
                }

                """)
    }

    @Test("Mermaid of a small pipeline")
    func mermaid() throws {
        #expect(
            try Self.graph(Self.small).mermaid == """
                flowchart LR
                    n0>"f<br>file"]
                    n1[("raw")]
                    n2("p<br>parse_json")
                    n3[["out<br>http"]]
                    n4[("small.dlq")]
                    n0 --> n1
                    n1 --> n2
                    n2 --> n3
                    n0 -.-> n4
                    n3 -.-> n4
                    classDef deadLetter stroke:#d00,color:#d00
                    class n4 deadLetter
                    linkStyle 3,4 stroke:#d00

                """)
    }

    static let oddCases = """
        name: odd
        topics:
          raw: {}
        sources:
          s:
            type: generate
            topic: raw
        transforms:
          r:
            type: route
            inputs: [raw]
            routes:
              'say "hi" \\n #1 <b>|&`': 'true'
        sinks:
          out:
            type: stdout
            inputs: ['r.say "hi" \\n #1 <b>|&`']
        """

    @Test("labels with quotes, backslashes, # < > | & and backticks are escaped for DOT and Mermaid")
    func escaping() throws {
        let graph = try Self.graph(Self.oddCases)
        #expect(graph.edges.first { $0.to == "sink:odd/out" }?.label == #"say "hi" \n #1 <b>|&`"#)
        #expect(graph.dot.contains(#""transform:odd/r" -> "sink:odd/out" [label="say \"hi\" \\n #1 <b>|&`"];"#))
        #expect(graph.mermaid.contains(#"n2 -->|"say #34;hi#34; \n #35;1 #60;b#62;#124;#38;#96;"| n3"#))
        #expect(PipelineGraph.dotQuoted("a\"b\\c\nd") == #""a\"b\\c\nd""#)
        #expect(PipelineGraph.dotQuoted("two", "lines") == #""two\nlines""#)
        #expect(PipelineGraph.mermaidText("x\ny\"") == "x<br>y#34;")
    }

    @Test("several pipelines are a DOT cluster and a Mermaid subgraph each, with the topics only they use; shared topics stay outside")
    func clusters() throws {
        let graph = try Self.graph(Self.producer, Self.consumer)
        let dot = graph.dot
        #expect(!dot.contains("labelloc"))
        #expect(
            dot.contains(
                "  subgraph \"cluster_0\" {\n    label=\"front\";\n    \"source:front/in\" [label=\"in\\ngenerate\", shape=cds];\n"))
        #expect(dot.contains("  subgraph \"cluster_1\" {\n    label=\"back\";\n    \"topic:users\" [label=\"users\", shape=cylinder];\n"))
        #expect(dot.contains("\n  \"topic:parsed\" [label=\"parsed\", shape=cylinder];\n"))
        #expect(dot.contains("\n    \"topic:raw\" [label=\"raw\", shape=cylinder];\n"))
        #expect(dot.contains("    \"topic:back.dlq\" [label=\"back.dlq\", shape=cylinder, color=red, fontcolor=red];\n  }\n"))
        #expect(dot.contains("\"topic:users\" -> \"transform:back/named\" [style=dotted, label=\"table\"];"))
        let mermaid = graph.mermaid
        #expect(mermaid.contains("    subgraph p0[\"front\"]\n        n0>\"in<br>generate\"]\n"))
        #expect(mermaid.contains("    subgraph p1[\"back\"]\n"))
        #expect(mermaid.contains("\n        n1[(\"users\")]\n"))  // only back reads it
        #expect(mermaid.contains("\n    n6[(\"parsed\")]\n"))  // shared
        #expect(mermaid.contains("    n1 -.->|\"table\"| n7\n"))
    }
}
