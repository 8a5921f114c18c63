import ArgumentParser
import WeirPipeline
import WeirPlugins

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check pipeline files without running them.",
        discussion: "Prints every problem as file:line:column: message and exits 1 if there is any."
    )

    @OptionGroup var plugins: PluginOptions
    @Argument(help: "Pipeline files.") var files: [String]

    func run() throws {
        let (discovery, loader) = plugins.discover(for: files)
        for problem in discovery.diagnostics { print(problem) }
        var problems = discovery.diagnostics.count
        for file in files {
            let (definition, diagnostics) = loader.load(path: file)
            for diagnostic in diagnostics { print(diagnostic) }
            problems += diagnostics.count
            if let definition {
                let count = { (kind: ComponentKind) in definition.components.filter { $0.kind == kind }.count }
                print(
                    "\(file): ok (pipeline '\(definition.name)': \(count(.source)) sources, \(count(.transform)) transforms, \(count(.sink)) sinks)"
                )
            }
        }
        if problems > 0 { throw ExitCode(1) }
    }
}
