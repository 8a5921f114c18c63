import ArgumentParser
import WeirPipeline

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run pipelines (for now only with --once).",
        discussion: """
            With --once, bounded sources (file, stdin, generate) are read to their end, every sink drains \
            its topics through its transforms, commits, and the command exits. A file already finished by \
            an earlier run is not read again; a file sink resumes exactly where its last commit left it. \
            Running continuously (tail, SIGINT/SIGTERM handling) is not built yet.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Pipeline files.") var files: [String]
    @Flag(help: "Read bounded sources to their end, drain, commit and exit.") var once = false

    func run() throws {
        guard once else { throw ValidationError("only 'weir run --once' is available so far; continuous running is not built yet") }
        // Validate everything before touching the log: an invalid file writes nothing.
        let loader = PipelineLoader()
        var definitions: [PipelineDefinition] = []
        var problems: [Diagnostic] = []
        for file in files {
            let (definition, diagnostics) = loader.load(path: file)
            problems += diagnostics
            if let definition { definitions.append(definition) }
        }
        guard problems.isEmpty else {
            for problem in problems { printError(problem.description) }
            throw ExitCode(1)
        }
        for definition in definitions {
            do {
                try PipelineRunner.checkRunnable(definition)
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
        let output = StandardOutput()
        do {
            try runAll(definitions, output)
        } catch is StandardOutput.Closed {
            return  // the reader went away (`| head`); nothing after the last flush was committed
        }
    }

    private func runAll(_ definitions: [PipelineDefinition], _ output: StandardOutput) throws {
        try global.withLog { log in
            for definition in definitions {
                let runner = try PipelineRunner(definition: definition, log: log, logger: global.logger)
                let summary = try runner.runOnce(output: { line in try output.write(line + "\n") }, flushOutput: { try output.flush() })
                let appended = summary.appended.values.reduce(0, +)
                let written = summary.written.values.reduce(0, +)
                let failed = summary.failed.values.reduce(0, +)
                printError("weir: \(definition.name): appended \(appended) records, wrote \(written), \(failed) failed")
            }
        }
    }
}
