import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import WeirLog
import WeirPipeline

/// The HTTP side of an `http_server` source: Hummingbird, on the server Weir already
/// runs for `--http`, answering `POST <path>` by reading the body into records and
/// waiting (suspended, no thread held) for the writer thread to append and flush them.
///
/// Statuses: 200 `{"records":N}` once appended; 400 a body that is not what its type says
/// (nothing appended); 401 no or a wrong bearer token; 413 over `max_body_bytes`; 415 a
/// type it does not read; 429 with `Retry-After: 1` while a sink is past its `max_lag`;
/// 503 with `Retry-After: 1` while the source stops or after the log failed.
final class HTTPIngestServer: Sendable {
    /// Where it listens, as `host:port` (the port chosen when 0 was asked).
    let address: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    /// Set when the server has stopped (shut down, cancelled or failed).
    let stopped: StopFlag

    /// Starts serving and returns once the socket listens (or throws why it cannot).
    init(options: HTTPServerOptions, token: String?, queue: HTTPIngestQueue, status: HTTPServerStatus, logger: Logger) throws {
        let router = Router()
        router.add(
            middleware: BearerTokenMiddleware(
                access: HTTPAccess(token: token, openProbes: false, warning: nil),
                hint: "send it as Authorization: Bearer TOKEN"))
        Self.addRoute(to: router, options: options, queue: queue, status: status)
        // On Dispatch's threads, not the cooperative pool: the server starts and answers
        // even while synchronous work holds the pool's few threads.
        let stopped = StopFlag()
        self.stopped = stopped
        let server = try StartedServer(
            router: router, host: options.host, port: options.port, logger: logger, failure: "http_server cannot listen on",
            executor: Self.executor, stopped: stopped)
        (address, group, task) = (server.address, server.group, server.task)
    }

    /// Where every `http_server` runs its tasks.
    private static let executor = DispatchTaskExecutor(label: "weir.http-server")

    /// Stops taking connections and lets requests in progress finish (their records still
    /// reach the writer thread, which keeps answering until `isStopped`). Returns at once.
    func beginShutdown() {
        Task(executorPreference: Self.executor) { [group] in await group.triggerGracefulShutdown() }
    }

    /// Ends the server without waiting for requests in progress.
    func cancel() { task.cancel() }

    private static func addRoute(
        to router: Router<BasicRequestContext>, options: HTTPServerOptions, queue: HTTPIngestQueue, status: HTTPServerStatus
    ) {
        let limit = options.maxBodyBytes
        router.post(RouterPath(options.path)) { request, _ in
            status.requestStarted()
            defer { status.requestEnded() }
            let format: HTTPBodyRecords.Format
            do throws(HTTPBodyRecords.Refusal) {
                format = try HTTPBodyRecords.format(contentType: request.headers[.contentType])
            } catch {
                return refuse(.init(code: error.status), error.reason)
            }
            let tooLarge = "the body is over max_body_bytes (\(limit) bytes): send fewer records per request"
            if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
                return refuse(.contentTooLarge, tooLarge)
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                return refuse(.contentTooLarge, tooLarge)
            }
            let values: [[UInt8]]
            do throws(HTTPBodyRecords.Refusal) {
                values = try HTTPBodyRecords.values(Array(buffer: body), as: format)
            } catch {
                return refuse(.init(code: error.status), error.reason)
            }
            if values.isEmpty { return accepted(0) }
            let now = currentTimeMillis()
            switch await queue.submit(values.map { SourceRecord(value: $0, timestamp: now) }) {
            case .appended(let count): return accepted(count)
            case .busy:
                return refuse(.tooManyRequests, "a sink of the topic is behind: retry later", retryAfter: true)
            case .unavailable(let reason): return refuse(.serviceUnavailable, reason, retryAfter: true)
            }
        }
    }

    struct Accepted: Encodable {
        var records: Int
    }

    private static func accepted(_ count: Int) -> Response { OperationsServer.json(.ok, Accepted(records: count)) }

    private static func refuse(_ status: HTTPResponse.Status, _ reason: String, retryAfter: Bool = false) -> Response {
        var response = OperationsServer.json(status, OperationsServer.Failure(error: reason))
        if retryAfter { response.headers[.retryAfter] = "1" }
        return response
    }
}
