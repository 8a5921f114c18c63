import ArgumentParser
import Foundation
import WeirPipeline
import WeirPlugins

/// `weir graph`: the shape of pipeline files as a picture, for docs and reviews, from the
/// same model the web console fetches (`GET /api/graph`).
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw pipelines' sources, topics, transforms, sinks and dead-letter topics.",
        discussion: """
            Prints DOT (weir graph p.yaml | dot -Tsvg > p.svg), a Mermaid flowchart, or the JSON of GET /api/graph. \
            Several files are one graph (they share topics, as in one weir run), a cluster each. \
            Problems in the files go to standard error as weir validate prints them, and the exit status is 1.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case dot, mermaid, json
    }

    @OptionGroup var plugins: PluginOptions
    @Option(help: "dot (Graphviz), mermaid, or json (the model the web console fetches).") var format: Format = .dot
    @Argument(help: "Pipeline files.") var files: [String]

    func run() throws {
        let (discovery, loader) = plugins.discover(for: files)
        var problems = discovery.diagnostics.map(\.description)
        var definitions: [PipelineDefinition] = []
        for file in files {
            let (definition, diagnostics) = loader.load(path: file)
            problems += diagnostics.map(\.description)
            if let definition { definitions.append(definition) }
        }
        guard problems.isEmpty else {
            for problem in problems { printError(problem) }
            throw ExitCode(1)
        }
        let graph = PipelineGraph(definitions)
        switch format {
        case .dot: print(graph.dot, terminator: "")
        case .mermaid: print(graph.mermaid, terminator: "")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(graph), as: UTF8.self))
        }
    }
}
