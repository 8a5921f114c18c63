import DedupePlugin
import Foundation
import Testing
import WeirLog
import WeirPipeline

/// The Swift plugin example (Examples/DedupePlugin, built against the public API only)
/// registered beside the built-ins, as docs/plugins.md shows.
@Suite("plugins: Swift API")
struct SwiftPluginTests {
    static let registry: ComponentRegistry = {
        var registry = ComponentRegistry.builtIn
        DedupeRecentTransform.register(in: &registry)
        return registry
    }()

    @Test("a registered Swift transform runs in a pipeline like a built-in")
    func runsInAPipeline() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/weir-swift-plugin-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("a\nb\na\nc\nb\nd\na\n".utf8).write(to: URL(fileURLWithPath: directory + "/in.log"))
        let yaml = """
            name: dd
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(directory)/in.log"], topic: raw }
            transforms:
              unique: { type: dedupe_recent, inputs: [raw], window: 3 }
            sinks:
              out: { type: file, inputs: [unique], path: "\(directory)/out.txt", encoding: text }
            """
        let (definition, diagnostics) = PipelineLoader(catalog: Self.registry).load(text: yaml, file: "dd.yaml", defaultName: "dd")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let log = try EmbeddedLog(directory: directory + "/data")
        defer { try? log.close() }
        let runner = try PipelineRunner(definition: try #require(definition), log: log, registry: Self.registry)
        let summary = try runner.run(once: true, stop: StopFlag())
        #expect(summary.written["out"] == 5)
        // With a window of 3, the last "a" is 4 kept values after the first: it passes.
        #expect(try String(contentsOfFile: directory + "/out.txt", encoding: .utf8) == "a\nb\nc\nd\na\n")
    }

    @Test("weir validate reports what the plugin's factory refuses at the option's line and column")
    func factoryErrorsHavePositions() throws {
        let yaml = """
            topics: { raw: {} }
            transforms:
              unique:
                type: dedupe_recent
                inputs: [raw]
                field: ""
            sinks:
              out: { type: blackhole, inputs: [unique] }
            """
        let (definition, diagnostics) = PipelineLoader(catalog: Self.registry).load(text: yaml, file: "dd.yaml", defaultName: "dd")
        #expect(definition == nil)
        #expect(diagnostics.map(\.description) == ["dd.yaml:6:12: transform 'unique': field must name a field"])
        let unknown = PipelineLoader().load(text: yaml, file: "dd.yaml", defaultName: "dd").diagnostics.map(\.description)
        #expect(unknown.first?.hasPrefix("dd.yaml:4:11: unknown transform type 'dedupe_recent'") == true, "\(unknown)")
    }
}
