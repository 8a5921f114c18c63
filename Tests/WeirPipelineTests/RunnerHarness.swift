import Foundation
import Logging
import Synchronization
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

/// A pipeline run in this process on a fresh log: started on its own thread, stopped
/// like SIGTERM stops it, and everything under one temporary directory.
final class RunnerHarness: @unchecked Sendable {  // the run's result is behind `lock`
    let directory: String
    let log: EmbeddedLog
    private let lock = NSLock()
    private var result: Result<PipelineRunner.Summary, any Error>?
    private var finished = DispatchSemaphore(value: 0)
    private(set) var stop = StopFlag()
    private(set) var runner: PipelineRunner?
    /// What the runs log to (a test reads it through an in-memory handler).
    var logger = Logger(label: "weir.pipeline")
    /// The component types the runs are built from (the `syslog` source with TLS is not built in).
    var registry = ComponentRegistry.builtIn

    init() throws {
        directory = FileManager.default.temporaryDirectory.path + "/weir-run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        log = try EmbeddedLog(directory: directory + "/data")
    }

    deinit {
        try? log.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func definition(_ yaml: String) throws -> PipelineDefinition {
        let (definition, diagnostics) = PipelineLoader(catalog: registry).load(text: yaml, file: "test.yaml", defaultName: "test")
        guard let definition else { throw PipelineError(description: diagnostics.map(\.description).joined(separator: "\n")) }
        return definition
    }

    /// Runs to the end (`--once`).
    @discardableResult
    func runOnce(_ yaml: String) throws -> PipelineRunner.Summary {
        let runner = try PipelineRunner(definition: try definition(yaml), log: log, logger: logger, registry: registry)
        self.runner = runner
        return try runner.run(once: true, stop: StopFlag())
    }

    /// Starts a continuous run on a background thread.
    func start(_ yaml: String) throws {
        let runner = try PipelineRunner(definition: try definition(yaml), log: log, logger: logger, registry: registry)
        self.runner = runner
        stop = StopFlag()
        finished = DispatchSemaphore(value: 0)
        let stop = stop
        Thread.detachNewThread { [self] in
            let outcome = Result { try runner.run(once: false, stop: stop) }
            lock.withLock { result = outcome }
            finished.signal()
        }
    }

    /// Stops the run as SIGTERM does and waits for it to drain and return.
    @discardableResult
    func stopAndWait() throws -> PipelineRunner.Summary {
        stop.set()
        finished.wait()
        return try lock.withLock { result! }.get()
    }

    /// Lines of a file (without \r), or none if it does not exist yet.
    func lines(_ name: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path(name)) else { return [] }
        return data.split(separator: 0x0a).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Waits (up to 20 s) until `condition` holds.
    func waitUntil(_ what: String, _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(20)
        while !condition() {
            if Date() > deadline {
                Issue.record("timed out waiting until \(what)")
                return
            }
            usleep(10_000)
        }
    }

    func append(_ name: String, _ text: String) throws {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path(name)).deletingLastPathComponent().path,
            withIntermediateDirectories: true)
        let fd = open(path(name), O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(fd) }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }
}
