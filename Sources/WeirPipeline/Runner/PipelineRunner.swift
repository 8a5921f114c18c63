import Dispatch
import Foundation
package import Logging
import Synchronization
import WeirLog
import WeirValues

/// Runs a validated pipeline on a log: every source appends into its topic on its own
/// thread, and every sink's consumer-group members carry the topics through the
/// transforms into the sink (`SinkRunner`).
///
/// Delivery:
/// - `file` and `tail` sources put their position in the batch they append
///   (`SourceWriter`), so a restart continues exactly after the last line the log holds;
///   `generate` does the same with its count; `stdin` cannot be replayed;
/// - a `file` sink commits its length with its input offsets in one durable checkpoint
///   and a restart cuts the file back to it: with the sources above, exactly once;
/// - `stdout`, `topic` and `http` sinks are at least once (output is flushed, or
///   acknowledged, before each commit);
/// - records a transform fails go to `<pipeline>.dlq` (at least once) unless `on_error`
///   says `drop` or `fail`.
///
/// Between sources and sinks the log is the buffer: it is on disk, so memory does not
/// grow with a slow sink; each member holds one batch (`batchSize` records) at a time,
/// and a source waits while a sink of its topic is more than `max_lag` records behind.
public final class PipelineRunner: Sendable {
    public let definition: PipelineDefinition
    package let log: any PipelineLog
    let logger: Logger
    let checkpoints: String
    /// Counters per component, in file order, for the live view.
    public let stats: [ComponentStats]
    private let current = Mutex<Phase>(.starting)
    private let stopFlag = Mutex<StopFlag?>(nil)
    private let sinkRunners = Mutex<[any SinkRunning]>([])

    /// Where the run is.
    public enum Phase: Sendable, Equatable {
        case starting
        case running
        /// Asked to stop: sources stopped, sinks drain.
        case stopping
        case finished
        case failed(String)

        public var name: String {
            switch self {
            case .starting: "starting"
            case .running: "running"
            case .stopping: "stopping"
            case .finished: "finished"
            case .failed: "failed"
            }
        }
    }

    public var phase: Phase {
        let phase = current.withLock { $0 }
        if phase == .running, stopFlag.withLock({ $0?.isSet }) == true { return .stopping }
        return phase
    }

    /// A consumer group's committed offset in one partition (the sink's last durable
    /// commit) and the partition's end.
    public struct GroupPosition: Sendable {
        public var group: String
        public var sink: String
        public var topic: String
        public var partition: Int
        public var committed: Int64
        public var end: Int64
        public var lag: Int64 { max(0, end - committed) }
    }

    /// Where each sink's group is in each partition it reads (empty before the run).
    public func groupPositions() -> [GroupPosition] {
        sinkRunners.withLock { $0 }.flatMap { sink in
            sink.committedOffsets().map { topic, partition, committed, end in
                GroupPosition(
                    group: sink.sink.group, sink: sink.sink.id, topic: topic, partition: partition, committed: committed, end: end)
            }
        }.sorted { ($0.sink, $0.topic, $0.partition) < ($1.sink, $1.topic, $1.partition) }
    }

    public struct Summary: Sendable, Equatable {
        public var appended: [String: Int] = [:]
        public var written: [String: Int] = [:]
        public var failed: [String: Int] = [:]
    }

    /// What every `type:` is built from: the built-ins and any plugins.
    let registry: ComponentRegistry

    package init(
        definition: PipelineDefinition, log: any PipelineLog, logger: Logger = Logger(label: "weir.pipeline"),
        registry: ComponentRegistry = .builtIn
    ) throws {
        self.definition = definition
        self.registry = registry
        self.log = log
        self.logger = logger
        checkpoints = log.directory + "/pipelines/" + definition.name
        stats = definition.components.map { ComponentStats(pipeline: definition.name, id: $0.id, kind: $0.kind, type: $0.type) }
        try FileManager.default.createDirectory(atPath: checkpoints, withIntermediateDirectories: true)
    }

    /// Refuses, before anything is written, what cannot run: a source that would never
    /// end under `--once`.
    public static func checkRunnable(_ definition: PipelineDefinition, once: Bool, registry: ComponentRegistry = .builtIn) throws {
        var problems: [String] = []
        for component in definition.components where once && component.kind == .source {
            let place = "\(definition.file):\(component.line):\(component.column)"
            if let source = try? registry.makeSource(ComponentOptions(component, pipeline: definition.name)),
                let reason = source.endlessReason
            {
                problems.append("\(place): source '\(component.id)' would never end under run --once: \(reason)")
            }
        }
        if !problems.isEmpty { throw PipelineError(description: problems.joined(separator: "\n")) }
    }

    func stats(of id: String) -> ComponentStats { stats.first { $0.id == id }! }

    /// Runs until `stop` is set (then sources stop and sinks drain what the topics hold),
    /// or, with `once` (or when every source is bounded), until every source has reached
    /// its end and every sink has caught up. `abort` stops at once, committing nothing
    /// more. `lines` receives what `stdout` sinks print.
    public func run(once: Bool, stop: StopFlag, abort: StopFlag = StopFlag(), lines: any LineWriter = PrintLineWriter()) throws -> Summary {
        stopFlag.withLock { $0 = stop }
        do {
            let summary = try runToEnd(once: once, stop: stop, abort: abort, lines: lines)
            finish(.finished)
            return summary
        } catch {
            finish(.failed("\(error)"))
            throw error
        }
    }

    /// Marks the run and every component done, and ends their taps.
    private func finish(_ phase: Phase) {
        current.withLock { $0 = phase }
        for component in stats {
            if case .failed = component.state {} else { component.set(.finished) }
            component.tap.finish()
        }
    }

    private func runToEnd(once: Bool, stop: StopFlag, abort: StopFlag, lines: any LineWriter) throws -> Summary {
        try Self.checkRunnable(definition, once: once, registry: registry)
        try log.prepare(topics: definition.topics)
        let deadLetters = DeadLetters(pipeline: definition.name, log: log, stats: stats, warnings: DeadLetterWarnings(logger: logger))
        // The last counts are logged however the run ends.
        defer { deadLetters.warnings.logRemaining() }
        let transformStats = Dictionary(uniqueKeysWithValues: stats.filter { $0.kind == .transform }.map { ($0.id, $0) })
        // Sinks first: one that refuses its output file stops the run before sources append.
        let sinks = try definition.components.filter { $0.kind == .sink }.map { sink in
            try log.sinkRunner(
                SinkRunnerSetup(
                    pipeline: definition, sink: sink, checkpointDirectory: checkpoints, lines: lines, deadLetters: deadLetters,
                    stats: stats(of: sink.id), abort: abort, logger: logger, registry: registry, transformStats: transformStats))
        }
        sinkRunners.withLock { $0 = sinks }
        let sources = try definition.components.filter { $0.kind == .source }.map { source in
            try makeSource(source, once: once, deadLetters: deadLetters, sinks: sinks, stop: stop)
        }
        let failure = Mutex<String?>(nil)
        let sourcesDone = StopFlag()
        let sinksDone = DispatchGroup()
        for sink in sinks {
            sinksDone.enter()
            Thread.detachNewThread {
                defer { sinksDone.leave() }
                do { try sink.run(finish: sourcesDone, abort: abort) } catch {
                    sink.stats.set(.failed("\(error)"))
                    failure.withLock { $0 = $0 ?? "\(error)" }
                    stop.set()
                    abort.set()
                }
            }
        }
        let sourcesRunning = DispatchGroup()
        for source in sources {
            sourcesRunning.enter()
            Thread.detachNewThread { [logger] in
                defer { sourcesRunning.leave() }
                do {
                    try source.run(stop)
                    source.stats.set(.finished)
                } catch {
                    source.stats.set(.failed("\(error)"))
                    logger.error("source stopped", metadata: ["source": "\(source.id)", "error": "\(error)"])
                    failure.withLock { $0 = $0 ?? "source '\(source.id)': \(error)" }
                    stop.set()
                    abort.set()
                }
            }
        }
        for transform in stats where transform.kind == .transform { transform.set(.running) }
        current.withLock { $0 = .running }
        sourcesRunning.wait()
        if sources.isEmpty && !once && log.isCluster {
            // Sinks that follow a cluster's topics: until stopped.
            stop.wait(until: nil)
        }
        sourcesDone.set()
        sinksDone.wait()
        try deadLetters.flush()
        if let failure = failure.withLock({ $0 }) { throw PipelineError(description: failure) }
        var summary = Summary()
        for (component, counters) in zip(definition.components, stats) {
            let counts = counters.counts
            switch component.kind {
            case .source: summary.appended[component.id] = counts.sent
            case .sink:
                summary.written[component.id] = counts.sent
                summary.failed[component.id] = counts.failedUpstream
            case .transform: break
            }
        }
        return summary
    }

    /// A source, ready to run on its own thread.
    struct RunnableSource: Sendable {
        var id: String
        var stats: ComponentStats
        var run: @Sendable (StopFlag) throws -> Void
    }

    private func makeSource(
        _ source: ComponentDefinition, once: Bool, deadLetters: DeadLetters, sinks: [any SinkRunning], stop: StopFlag
    ) throws -> RunnableSource {
        let topic = source.topic!
        let writer = try SourceWriter(
            source: log.positionOwner("\(definition.name).\(source.id)"), topic: topic, log: log,
            checkpointPath: checkpoints + "/source-\(source.id).json", stats: stats(of: source.id))
        // Back-pressure: a sink of this pipeline more than its max_lag behind on this topic
        // holds the source before its next chunk (so a slow sink slows the source, and
        // retention never has to delete what a sink has not read).
        let readers = sinks.filter { $0.inputTopics.contains(topic) }
        if !readers.isEmpty {
            writer.hasRoom = { stop.isSet || !readers.contains { $0.lag(of: topic) > $0.maxLag } }
            writer.waitForRoom = { [logger] in
                var warned = false
                while true {
                    // Marked before the flag and the lags are read: a stop or a write in
                    // between ends the wait at once.
                    let marks = [stop.mark()] + readers.map { $0.moved.mark() }
                    if stop.isSet { return }
                    guard let behind = readers.first(where: { $0.lag(of: topic) > $0.maxLag }) else { return }
                    if !warned {
                        logger.debug("source waits for a slow sink", metadata: ["source": "\(source.id)", "sink": "\(behind.sink.id)"])
                        warned = true
                    }
                    // The sinks' writes and `stop` wake it: no deadline. (A failing sink sets
                    // `stop` too.)
                    ChangeSignal.wait(for: marks, until: nil)
                }
            }
        }
        let options = ComponentOptions(source, pipeline: definition.name)
        let plugin = try registry.makeSource(options)
        let context = SourceContext(options: options, once: once, stop: stop, logger: logger, writer: writer, deadLetters: deadLetters)
        let stats = stats(of: source.id)
        return RunnableSource(id: source.id, stats: stats) { _ in
            if plugin.reportsConnection {
                stats.set(.starting("waiting for it to connect"))
            } else {
                stats.set(.running)
            }
            try plugin.run(context)
        }
    }
}

/// Prints each line to standard output.
public struct PrintLineWriter: LineWriter {
    public init() {}
    public func write(_ line: String) throws { print(line) }
    public func flush() throws { try FileHandle.standardOutput.synchronize() }
}
