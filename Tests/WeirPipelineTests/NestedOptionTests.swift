import Testing
import WeirValues

@testable import WeirPipeline

/// Nested mappings (`OptionKind.object`) are checked from the component's spec alone:
/// the loader knows no component's nested options.
@Suite("nested options")
struct NestedOptionTests {
    /// The built-ins plus a source type `probe` with a nested `shape` option.
    static let registry: ComponentRegistry = {
        var registry = ComponentRegistry.builtIn
        registry.register(
            ComponentSpec(
                type: "probe", kind: .source, summary: "a source with a nested option",
                options: [
                    OptionSpec(
                        "shape",
                        .object(
                            OptionSchema(
                                [
                                    OptionSpec("size", .integer(1...5), required: true), OptionSpec("mode", .oneOf(["a", "b"])),
                                    OptionSpec("left", .string), OptionSpec("right", .string),
                                ], requiresOneOf: ["left", "right"])))
                ]), source: { GenerateSource(options: $0) })
        return registry
    }()

    func load(_ shape: String, type: String = "probe", registry: ComponentRegistry = Self.registry) -> (PipelineDefinition?, [String]) {
        let text = "topics:\n  raw: {}\nsources:\n  s:\n    type: \(type)\n    topic: raw\n\(shape)\n"
        let result = PipelineLoader(catalog: registry, environment: [:]).load(text: text, file: "p.yaml", defaultName: "p")
        return (result.definition, result.diagnostics.map(\.description))
    }

    @Test("a new component's nested mapping is checked against its schema and kept as an object")
    func schemaOfANewComponent() {
        let (definition, diagnostics) = load("    shape: { size: 3, mode: b, left: x }")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(definition?.component("s")?.options["shape"] == .object(["size": .int(3), "mode": .string("b"), "left": .string("x")]))
    }

    @Test(
        "each nested problem is reported at its own place, in the words a component's option gets",
        arguments: [
            ("    shape: { size: 9, left: x }", "p.yaml:7:20: size of shape of 's' must be 1…5, not 9"),
            ("    shape: { size: 2, mode: zzz, left: x }", "p.yaml:7:29: mode of shape of 's' must be one of a, b, not 'zzz'"),
            (
                "    shape: { size: 2, colour: red, left: x }",
                "p.yaml:7:23: unknown option 'colour' in shape of 's'; it takes size, mode, left, right"
            ),
            (
                "    shape: { size: 2, lft: x }",
                "p.yaml:7:23: unknown option 'lft' in shape of 's' (did you mean 'left'?); it takes size, mode, left, right"
            ),
            ("    shape: { left: x }", "p.yaml:7:12: shape of 's' needs 'size'"),
            ("    shape: { size: 2 }", "p.yaml:7:12: shape of 's' needs left or right"),
            ("    shape: [1, 2]", "p.yaml:7:12: shape of 's' must be a mapping"),
        ])
    func nestedProblems(shape: String, expected: String) {
        let (definition, diagnostics) = load(shape)
        #expect(definition == nil)
        #expect(diagnostics.contains(expected), "\(diagnostics)")
    }

    @Test("multiline is checked from the file source's own spec: a rule without a pattern, a bad regex, a bad bound")
    func multilineFromTheSourceSpec() {
        let base = "    paths: [x.log]\n    multiline: "
        #expect(
            load(base + "{ max_lines: 5 }", type: "file").1 == ["p.yaml:8:16: multiline of 's' needs start_pattern or continuation_pattern"]
        )
        #expect(
            load(base + "{ start_pattern: '(' }", type: "tail").1.first?.hasPrefix(
                "p.yaml:8:33: start_pattern of multiline of 's' is not a valid regex: ") == true)
        #expect(
            load(base + "{ start_pattern: '^a', timeout_ms: 0 }", type: "file").1 == [
                "p.yaml:8:51: timeout_ms of multiline of 's' must be 1…3600000, not 0"
            ])
        let spec = ComponentRegistry.builtIn.spec(.source, "tail")?.options.first { $0.name == "multiline" }
        #expect(spec == MultilineJoiner.Rule.option)
    }
}
