import ArgumentParser
import WeirPipeline
import WeirPlugins

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the tests: cases of pipeline files.",
        discussion: """
            Each case puts records into a topic or transform and checks what comes out of a transform \
            (count, exact records, conditions). Nothing is read or written: no log, sources or sinks. \
            Prints one line per case and exits 1 if a file is invalid or a case fails.
            """
    )

    @OptionGroup var plugins: PluginOptions
    @Argument(help: "Pipeline files.") var files: [String]

    func run() throws {
        let (discovery, loader) = plugins.discover(for: files)
        for problem in discovery.diagnostics { print(problem) }
        var failed = discovery.diagnostics.count
        var passed = 0
        for file in files {
            let (definition, diagnostics) = loader.load(path: file)
            for diagnostic in diagnostics { print(diagnostic) }
            guard let definition else {
                failed += 1
                continue
            }
            if definition.tests.isEmpty { print("\(file): no tests") }
            for outcome in PipelineTestRunner.run(definition, registry: discovery.registry) {
                if outcome.passed {
                    passed += 1
                    print("PASS \(file):\(outcome.line): \(outcome.name)")
                } else {
                    failed += 1
                    print("FAIL \(file):\(outcome.line): \(outcome.name)")
                    for problem in outcome.problems { print("  \(problem)") }
                }
            }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
