import Foundation
import Logging
import Synchronization
import WeirLog
public import WeirPipeline

/// The `http_server` source: records POSTed over HTTP (lines, NDJSON or JSON, by content
/// type), each request one chunk of the topic, answered 200 only once flushed.
///
/// Delivery: 200 means the request's records are appended as durably as the topic's
/// flush policy makes them; any other answer means none were. A client that retries
/// until it gets 200 loses nothing; one whose 200 was lost on the way may send the same
/// records twice: at least once. There is no position: a restart takes new requests.
///
/// Threads: `run` (the source's own thread) owns the writer, takes the requests the
/// handlers queue (`HTTPIngestQueue`), appends each as one batch and flushes them
/// together, then answers them all, so concurrent requests share one flush (one fsync
/// under `flush: always`) and no handler ever blocks an event loop or the cooperative
/// pool.
public struct HTTPServerSource: PipelineSource {
    let options: HTTPServerOptions
    /// Where it listens once it does (for tests and callers that asked for port 0) and
    /// the requests in progress.
    public let status: HTTPServerStatus

    init(options: HTTPServerOptions, status: HTTPServerStatus) {
        self.options = options
        self.status = status
    }

    /// How long requests in progress at a stop may take to finish before the server is
    /// closed under them (they are answered 503 then: nothing of theirs is appended).
    static let drainSeconds = 10

    public var endlessReason: String? { "it serves HTTP until the run stops" }
    public var reportsConnection: Bool { true }

    public func run(_ context: SourceContext) throws {
        let queue = HTTPIngestQueue()
        let server = try HTTPIngestServer(
            options: options, token: try options.resolvedToken(), queue: queue, status: status, logger: context.logger)
        // However the loop ends, no request waits forever and the socket closes.
        defer {
            queue.close(answering: .unavailable("the source has stopped"))
            if !server.stopped.isSet { server.cancel() }
        }
        context.logger.info(
            "http_server listening",
            metadata: ["source": "\(context.options.id)", "address": "\(server.address)", "path": "\(options.path)"])
        status.listening(at: server.address)
        context.connected()
        try serve(queue, server, context)
        try context.flush()
    }

    /// Appends what the handlers queue until the run stops and the requests in progress
    /// then have been answered.
    private func serve(_ queue: HTTPIngestQueue, _ server: HTTPIngestServer, _ context: SourceContext) throws {
        var drainDeadline: ContinuousClock.Instant?
        while true {
            // Marked before the queue and the flags are read: a request or a stop in
            // between ends the wait at once.
            let marks = [queue.queued.mark(), context.stop.mark(), server.stopped.mark()]
            let jobs = queue.take()
            if !jobs.isEmpty {
                try append(jobs, context)
                continue
            }
            if server.stopped.isSet { return }
            if context.stop.isSet && drainDeadline == nil {
                server.beginShutdown()
                drainDeadline = .now + .seconds(Self.drainSeconds)
            }
            if let drainDeadline, ContinuousClock.now >= drainDeadline {
                context.logger.warning(
                    "http_server: requests still in progress at the stop are refused",
                    metadata: ["source": "\(context.options.id)"])
                return
            }
            ChangeSignal.wait(for: marks, until: drainDeadline)
        }
    }

    /// Appends each job as one batch (or answers 429 while a sink is past its `max_lag`),
    /// flushes once, then answers. A log that fails fails the source (and the run), as
    /// for every source; its requests are told so, with nothing to count on.
    private func append(_ jobs: [HTTPIngestQueue.Job], _ context: SourceContext) throws {
        var appended: [HTTPIngestQueue.Job] = []
        var next = 0
        do {
            while next < jobs.count {
                if context.hasRoom {
                    try context.append(jobs[next].records, position: nil)
                    appended.append(jobs[next])
                } else {
                    jobs[next].answer(.busy)
                }
                next += 1
            }
            if !appended.isEmpty { try context.flush() }
        } catch {
            for job in appended + jobs[next...] { job.answer(.unavailable("the log failed: \(error)")) }
            throw error
        }
        for job in appended { job.answer(.appended(job.records.count)) }
    }
}
