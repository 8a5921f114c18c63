import ArgumentParser
import Foundation
import WeirPipeline
import WeirPlugins
import WeirValues

/// Where commands that read pipeline files look for out-of-process plugins.
struct PluginOptions: ParsableArguments {
    @Option(
        name: .customLong("plugins-dir"),
        help: ArgumentHelp(
            "A folder of plugins (<name>/plugin.yaml; may be repeated), searched before $WEIR_PLUGINS_PATH and the plugins/ folder beside each pipeline file.",
            valueName: "dir"))
    var pluginsDirs: [String] = []

    /// The plugins for `files`, and a loader that knows them.
    func discover(for files: [String]) -> (PluginDiscovery, PipelineLoader) {
        let discovery = PluginDiscovery(pluginsDirectories: pluginsDirs, pipelineFiles: files, base: SwiftPlugins.registry)
        return (discovery, PipelineLoader(catalog: discovery.registry))
    }
}

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List and describe component types: built-in and out-of-process plugins.",
        subcommands: [List.self, Describe.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every type with its kind, origin (built-in or the plugin.yaml) and summary.")
        @OptionGroup var plugins: PluginOptions
        @OptionGroup var output: FormatOption
        @Argument(help: "Pipeline files whose plugins/ folders to search too.") var files: [String] = []

        struct Entry: Encodable {
            var type: String
            var kind: String
            var origin: String
            var summary: String
        }

        func run() throws {
            let (discovery, _) = plugins.discover(for: files)
            for problem in discovery.diagnostics { printError(problem.description) }
            let catalog = discovery.registry
            var rows: [[String]] = []
            for kind in ComponentKind.allCases {
                for type in catalog.types(of: kind) {
                    let spec = catalog.spec(kind, type)!
                    rows.append([type, kind.rawValue, spec.origin ?? "built-in", spec.summary])
                }
            }
            if output.json {
                try output.print(rows.map { Entry(type: $0[0], kind: $0[1], origin: $0[2], summary: $0[3]) })
                if !discovery.diagnostics.isEmpty { throw ExitCode(1) }
                return
            }
            let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print((0..<3).map { row[$0].padded(widths[$0]) }.joined(separator: "  ") + "  " + row[3])
            }
            if !discovery.diagnostics.isEmpty { throw ExitCode(1) }
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A type's options.")
        @OptionGroup var plugins: PluginOptions
        @OptionGroup var output: FormatOption
        @Argument(help: "The type (as in type: of a pipeline file).") var name: String
        @Argument(help: "Pipeline files whose plugins/ folders to search too.") var files: [String] = []

        struct Description: Encodable {
            var type: String
            var kind: String
            var origin: String
            var summary: String
            var command: [String]?
            var options: [Option]
        }

        struct Option: Encodable {
            var name: String
            var type: String
            var required: Bool
            var `default`: EncodedValue?
            var description: String?
        }

        /// A type's options (for an out-of-process plugin, its own and then those Weir
        /// handles for it), and `parallelism`, which every transform and sink takes.
        static func options(of spec: ComponentSpec) -> [OptionSpec] {
            spec.options + ComponentRegistry.commonOptions(spec.kind).filter { $0.name == "parallelism" }
        }

        func run() throws {
            let (discovery, _) = plugins.discover(for: files)
            let catalog = discovery.registry
            let specs = ComponentKind.allCases.compactMap { catalog.spec($0, name) }
            guard !specs.isEmpty else {
                let known = ComponentKind.allCases.flatMap { catalog.types(of: $0) }
                printError("weir: no component type '\(name)'\(suggestion(for: name, among: known))")
                throw ExitCode(1)
            }
            if output.json {
                return try output.print(
                    specs.map { spec in
                        let manifest = discovery.manifests.first { $0.name == spec.type && $0.kind == spec.kind }
                        return Description(
                            type: spec.type, kind: spec.kind.rawValue, origin: spec.origin ?? "built-in", summary: spec.summary,
                            command: manifest?.command,
                            options: Self.options(of: spec).map {
                                Option(
                                    name: $0.name, type: $0.kind.name, required: $0.required,
                                    default: $0.defaultValue.map(EncodedValue.init), description: $0.description)
                            })
                    }, keys: .useDefaultKeys)  // the keys of a default are the plugin's
            }
            for spec in specs {
                print("\(spec.type) (\(spec.kind.rawValue), \(spec.origin ?? "built-in")): \(spec.summary)")
                let manifest = discovery.manifests.first { $0.name == spec.type && $0.kind == spec.kind }
                if let manifest { print("  command: \(manifest.command.joined(separator: " "))") }
                for option in Self.options(of: spec) {
                    let details =
                        [option.kind.name] + (option.required ? ["required"] : [])
                        + (option.defaultValue.map { ["default \($0.jsonText())"] } ?? [])
                    print("  \(option.name): \(details.joined(separator: ", "))\(option.description.map { " — \($0)" } ?? "")")
                }
            }
        }
    }
}
