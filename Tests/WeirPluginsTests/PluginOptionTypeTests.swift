import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline
@testable import WeirPlugins

/// The option types a plugin.yaml declares (issue 12): what each accepts, as which JSON
/// value the plugin gets it, and what each refuses, with the place.
@Suite("plugins: option types")
struct PluginOptionTypeTests {
    /// A pipeline giving option `field` of a transform plugin whose `field` is `type`.
    func load(_ type: PluginOptionType, _ yaml: String) -> (Value?, [Diagnostic]) {
        let manifest = PluginManifest(
            name: "typed", kind: .transform, command: ["true"], description: "",
            options: [
                OptionSpec("field", .plugin(type))
            ], directory: "/nowhere")
        var registry = ComponentRegistry.builtIn
        manifest.register(in: &registry)
        let text = """
            topics: { raw: {} }
            transforms:
              t:
                type: typed
                inputs: [raw]
                field: \(yaml)
            sinks:
              out: { type: blackhole, inputs: [t] }
            """
        let (definition, diagnostics) = PipelineLoader(catalog: registry, environment: ["N": "7"]).load(
            text: text, file: "p.yaml", defaultName: "p")
        return (definition?.component("t")?.options["field"], diagnostics)
    }

    enum Expected {
        /// The value the plugin is sent.
        case accepted(Value)
        /// The message at the value's place.
        case refused(String)
    }

    /// Each case: the type, the YAML after `field: `, and the value the plugin gets or the
    /// message at line 6, column 12 (where the value starts).
    static let cases: [(PluginOptionType, String, Expected)] = [
        (.string, "hello", .accepted(.string("hello"))),
        (.string, #""42""#, .accepted(.string("42"))),
        (.string, "'true'", .accepted(.string("true"))),
        (.string, "${N}", .accepted(.string("7"))),
        (.string, "42", .refused(#"field of 't' must be a string, not the integer 42 (quote it to mean text: "42")"#)),
        (.string, "4.5", .refused(#"field of 't' must be a string, not the number 4.5 (quote it to mean text: "4.5")"#)),
        (.string, "true", .refused(#"field of 't' must be a string, not the boolean true (quote it to mean text: "true")"#)),
        (.string, "~", .refused("field of 't' must be a string, not empty")),
        (.string, "[a]", .refused("field of 't' must be a single value, not a list")),
        (.integer, "42", .accepted(.int(42))),
        (.integer, "-1_000", .accepted(.int(-1_000))),
        (.integer, "${N}", .accepted(.int(7))),
        (.integer, "4.5", .refused("field of 't' must be an integer, not '4.5'")),
        (.integer, "many", .refused("field of 't' must be an integer, not 'many'")),
        (.integer, "{ a: 1 }", .refused("field of 't' must be a single value, not a mapping")),
        (.number, "4.5", .accepted(.double(4.5))),
        (.number, "42", .accepted(.int(42))),
        (.number, "1e3", .accepted(.double(1_000))),
        (.number, "-0.25", .accepted(.double(-0.25))),
        (.number, "inf", .refused("field of 't' must be a number, not 'inf'")),
        (.number, "true", .refused("field of 't' must be a number, not 'true'")),
        (.boolean, "true", .accepted(.bool(true))),
        (.boolean, "false", .accepted(.bool(false))),
        (.boolean, "yes", .refused("field of 't' must be true or false, not 'yes'")),
        (.boolean, "1", .refused("field of 't' must be true or false, not '1'")),
        (.list, "[a, 1, true, { b: 2 }]", .accepted(.array([.string("a"), .int(1), .bool(true), .object(["b": .int(2)])]))),
        (.list, "[]", .accepted(.array([]))),
        (.list, "message", .accepted(.array([.string("message")]))),
        (.list, "{ a: 1 }", .refused("field of 't' must be a list, not a mapping")),
        (.list, "null", .refused("field of 't' must be a list, not empty")),
        (
            .object, "{ a: 1, b: [x, 2.5], c: 'no' }",
            .accepted(.object(["a": .int(1), "b": .array([.string("x"), .double(2.5)]), "c": .string("no")]))
        ),
        (.object, "{}", .accepted(.object([:]))),
        (.object, "[a]", .refused("field of 't' must be a mapping, not a list")),
        (.object, "a", .refused("field of 't' must be a mapping, not a single value")),
    ]

    @Test(
        "each option type accepts what it should, as that JSON type, and refuses the rest at the value's place",
        arguments: cases.indices)
    func typeTable(_ index: Int) {
        let (type, yaml, expected) = Self.cases[index]
        let (value, diagnostics) = load(type, yaml)
        switch expected {
        case .accepted(let expectedValue):
            #expect(diagnostics.isEmpty, "\(type) \(yaml): \(diagnostics)")
            #expect(value == expectedValue, "\(type) \(yaml)")
        case .refused(let message):
            #expect(diagnostics.map(\.description) == ["p.yaml:6:12: \(message)"], "\(type) \(yaml)")
        }
    }

    @Test("a plugin.yaml's option types and defaults are checked with their positions; bool is the old name of boolean")
    func manifestDefaults() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-option-types-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(
            """
            name: typed
            kind: transform
            command: ["true"]
            options:
              greeting: { type: string, default: hello }
              count: { type: integer, default: many }
              ratio: { type: numbr }
              strict: { type: bool, default: false }
              fields: { type: list, default: [message], required: true }
              extra: { type: object, default: { a: 1 }, typ: object }
            """.utf8
        ).write(to: URL(fileURLWithPath: directory + "/plugin.yaml"))
        let (manifest, diagnostics) = PluginManifest.load(directory: directory)
        #expect(manifest == nil)
        let file = directory + "/plugin.yaml"
        #expect(
            diagnostics.map(\.description) == [
                "\(file):6:36: default of option 'count' must be an integer, not 'many'",
                "\(file):7:18: type of option 'ratio' must be one of string, integer, number, boolean, list, object, not 'numbr' (did you mean 'number'?)",
                "\(file):9:34: option 'fields' is required, so a default would never be used; drop one of them",
                "\(file):10:45: unknown key 'typ' in option 'extra' (did you mean 'type'?); it takes type, required, default, description",
            ])

        try Data(
            """
            name: typed
            kind: transform
            command: ["true"]
            options:
              greeting: { type: string, default: hello, description: what to say }
              strict: { type: bool, default: false }
              extra: { type: object, default: { a: 1 } }
            """.utf8
        ).write(to: URL(fileURLWithPath: directory + "/plugin.yaml"))
        let loaded = try #require(PluginManifest.load(directory: directory).0)
        #expect(loaded.options.map(\.name) == ["greeting", "strict", "extra"])
        #expect(loaded.options.map(\.kind) == [.plugin(.string), .plugin(.boolean), .plugin(.object)])
        #expect(loaded.options.map(\.defaultValue) == [.string("hello"), .bool(false), .object(["a": .int(1)])])
        #expect(loaded.options[0].description == "what to say")
    }
}
