import ArgumentParser
import Dispatch
import Foundation
import Logging
import WeirKafka
import WeirLog
import WeirPipeline
import WeirPlugins
import WeirServer

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run pipelines until SIGINT or SIGTERM (or, with --once, until their input is read).",
        discussion: """
            Every pipeline file is validated first; an invalid one stops everything before anything is written. \
            On SIGINT or SIGTERM sources stop, sinks drain what the topics hold (for at most --drain-timeout \
            seconds; the rest stays in the log for the next run), commit, and weir exits 0. A second signal exits \
            at once; nothing committed is lost either way. With --once, bounded sources are read to their end \
            (tail reads each file to its current end), every sink drains, commits, and weir exits.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var plugins: PluginOptions
    @OptionGroup var kafkaOptions: KafkaOptions
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Pipeline files.") var files: [String]
    @Flag(help: "Read sources to their current end, drain, commit and exit.") var once = false
    @Flag(help: "No live view or periodic summary.") var quiet = false
    @Option(help: "Seconds between summaries when standard error is not a terminal.") var summaryInterval: Double = 10
    @Option(help: "Seconds sinks may take to drain after a stop signal.") var drainTimeout: Double = 5
    @Option(
        help: ArgumentHelp(
            "Serve /metrics, /health, /ready and the API (for weir top and weir tap) on this address; a bare port listens on 127.0.0.1. "
                + "Beyond loopback it needs users (--http-users) or a token (--http-token-file or $WEIR_HTTP_TOKEN) or --insecure-no-auth.",
            valueName: "addr:port"))
    var http: HTTPAddress?
    @OptionGroup var httpToken: HTTPTokenOption
    @OptionGroup var httpUsers: HTTPUsersOption
    @Flag(help: "With --http or --kafka beyond loopback and no authentication: serve anyway (logs a warning).")
    var insecureNoAuth = false
    @Flag(help: "With a token: /metrics, /health and /ready answer without it (the API still asks it).")
    var httpOpenMetrics = false

    func validate() throws {
        if http == nil && (httpToken.file != nil || httpUsers.file != nil || httpOpenMetrics) {
            throw ValidationError("--http-token-file, --http-users and --http-open-metrics go with --http")
        }
        if http == nil && kafkaOptions.kafka == nil && insecureNoAuth {
            throw ValidationError("--insecure-no-auth can only go with --http or --kafka")
        }
        if cluster.bootstrap != nil && kafkaOptions.kafka != nil {
            throw ValidationError("--kafka serves the embedded log; with --bootstrap the cluster serves Kafka clients")
        }
    }

    /// The run blocks (threads, pipes, fsyncs) on a thread of its own: blocking the
    /// concurrency pool, which has one thread per core, would starve the HTTP endpoint
    /// and the sinks' waits that run on it.
    func run() async throws {
        try await onThreadOfItsOwn { try runBlocking() }
    }

    private func runBlocking() throws {
        // Decided before anything else: a refused endpoint starts nothing.
        let access = try http.map {
            try OperationsEndpoint.access(
                for: $0, token: httpToken, users: try httpUsers.usersOrExit(), insecureNoAuth: insecureNoAuth, openProbes: httpOpenMetrics,
                logger: global.logger)
        }
        try kafkaOptions.checkAccess(insecureNoAuth: insecureNoAuth, logger: global.logger)
        let (definitions, registry) = try loadAll()
        let output = LockedStandardOutput()
        let stop = StopFlag()
        let abort = StopFlag()
        let signals = SignalHandler(stop: stop, abort: abort, drainTimeout: drainTimeout)
        defer { signals.cancel() }
        // Served before the log opens, so /health answers during a long recovery.
        let monitor = http.map { _ in RunMonitor() }
        let server = try http.map { try OperationsEndpoint.start(on: $0, access: access!, monitor: monitor!, logger: global.logger) }
        defer { server?.stop() }
        do {
            try withLog { log, embedded in
                // Clients are served for as long as the pipelines run.
                let listener = try embedded.flatMap { try kafkaOptions.startListener(on: $0, logger: global.logger) }
                defer { if let listener { try? waitFor { await listener.close() } } }
                OperationsEndpoint.show(listener, on: monitor)
                let runners = try definitions.map {
                    try PipelineRunner(definition: $0, log: log, logger: global.logger, registry: registry)
                }
                monitor?.attach(log: embedded, runners: runners)
                defer { monitor?.end() }
                let progress = quiet ? nil : RunProgress(runners: runners, interval: summaryInterval)
                progress?.start()
                let results = runAll(runners, stop: stop, abort: abort, output: output)
                progress?.finish()
                try output.flush()
                var failed = false
                for (runner, result) in zip(runners, results) {
                    switch result {
                    case .success(let summary):
                        let appended = summary.appended.values.reduce(0, +)
                        let written = summary.written.values.reduce(0, +)
                        let failures = summary.failed.values.reduce(0, +)
                        printError("weir: \(runner.definition.name): appended \(appended) records, wrote \(written), \(failures) failed")
                    case .failure(let error):
                        printError("weir: \(runner.definition.name): \(error)")
                        failed = true
                    }
                }
                if failed { throw ExitCode(1) }
            }
        } catch is StandardOutput.Closed {
            return  // the reader went away (`| head`); nothing after the last flush was committed
        }
    }

    /// Runs `body` on the cluster of `--bootstrap`, or else on the embedded log (given
    /// twice: as the pipelines' log, and as itself).
    private func withLog(_ body: (any PipelineLog, EmbeddedLog?) throws -> Void) throws {
        if let bootstrap = cluster.bootstrap {
            let log = try ClusterLog(
                directory: global.resolvedDataDirectory, bootstrap: bootstrap, properties: try cluster.properties(), logger: global.logger)
            try body(log, nil)
        } else {
            try global.withLog { try body($0, $0) }
        }
    }

    /// Validates every file before anything runs: an invalid one writes nothing.
    private func loadAll() throws -> ([PipelineDefinition], ComponentRegistry) {
        let (discovery, loader) = plugins.discover(for: files)
        var definitions: [PipelineDefinition] = []
        var problems: [String] = discovery.diagnostics.map(\.description)
        for file in files {
            let (definition, diagnostics) = loader.load(path: file)
            problems += diagnostics.map(\.description)
            guard let definition else { continue }
            do {
                try PipelineRunner.checkRunnable(definition, once: once, registry: discovery.registry)
                definitions.append(definition)
            } catch {
                problems.append("\(error)")
            }
        }
        let names = definitions.map(\.name)
        for name in Set(names) where names.filter({ $0 == name }).count > 1 {
            problems.append("two pipelines are named '\(name)'; names must differ (they key checkpoints and groups)")
        }
        guard problems.isEmpty else {
            for problem in problems { printError(problem) }
            throw ExitCode(1)
        }
        return (definitions, discovery.registry)
    }

    /// Runs every pipeline on its own thread; one that fails stops the others.
    private func runAll(_ runners: [PipelineRunner], stop: StopFlag, abort: StopFlag, output: LockedStandardOutput) -> [Result<
        PipelineRunner.Summary, any Error
    >] {
        let results = ResultSlots(count: runners.count)
        let done = DispatchGroup()
        for (i, runner) in runners.enumerated() {
            done.enter()
            Thread.detachNewThread { [once] in
                defer { done.leave() }
                let result = Result { try runner.run(once: once, stop: stop, abort: abort, lines: output) }
                if case .failure = result { stop.set() }
                results.set(i, result)
            }
        }
        done.wait()
        return results.all
    }
}

/// Turns SIGINT and SIGTERM into a stop (then, after the drain timeout, an abort); a
/// second signal exits at once.
final class SignalHandler {
    private let sources: [any DispatchSourceSignal]

    /// `weir run`'s handler: the first signal stops sources and lets sinks drain for at
    /// most `drainTimeout` seconds, then sets `abort`.
    convenience init(stop: StopFlag, abort: StopFlag, drainTimeout: Double) {
        self.init(stop: stop, message: "weir: stopping: sources stop, sinks drain and commit (signal again to exit at once)") {
            DispatchQueue.global().asyncAfter(deadline: .now() + drainTimeout) {
                abort.set()
                // A write still waiting for disk space fails now, so the run can end.
                DiskSpace.stopWaiting()
            }
        }
    }

    /// The first SIGINT or SIGTERM prints `message`, sets `stop` and calls `then`; a second
    /// exits at once.
    init(stop: StopFlag, message: String, then: (@Sendable () -> Void)? = nil) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if stop.isSet {
                    printError("weir: second signal; exiting now (what was committed is kept)")
                    _exit(130)
                }
                printError(message)
                stop.set()
                then?()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}

/// One result per pipeline, filled from their threads.
final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<PipelineRunner.Summary, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<PipelineRunner.Summary, any Error>) {
        lock.withLock { slots[index] = result }
    }

    var all: [Result<PipelineRunner.Summary, any Error>] {
        lock.withLock { slots.map { $0 ?? .failure(CancellationError()) } }
    }
}

/// Standard output for `stdout` sinks of several pipelines at once.
final class LockedStandardOutput: LineWriter, @unchecked Sendable {
    private let lock = NSLock()
    private let output = StandardOutput()

    func write(_ line: String) throws {
        try lock.withLock { try output.write(line + "\n") }
    }

    func write(lines: [UInt8]) throws {
        try lock.withLock { try output.write(lines) }
    }

    func flush() throws {
        try lock.withLock { try output.flush() }
    }
}
