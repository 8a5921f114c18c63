import Dispatch
import Foundation
import Hummingbird
public import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import WeirPipeline

/// The HTTP endpoint of `weir run --http`: Prometheus metrics, health and readiness,
/// the running pipelines as JSON, and a tap on any component's output.
///
/// - `GET /metrics`: Prometheus text format 0.0.4.
/// - `GET /health`: 200 while the process serves.
/// - `GET /ready`: 200 when every pipeline runs and its sources are connected, else 503;
///   the JSON body lists what is not ready.
/// - `GET /api/pipelines`: components with state, counts, rates; groups; topics.
/// - `GET /api/graph`: the pipelines' shape (`PipelineGraph`), for the console to draw.
/// - `GET /api/kafka`: the Kafka listener's connections and the groups of Kafka clients
///   (`"serving": false` when the weir serves no Kafka listener).
/// - `GET /api/tap?component=NAME&limit=N`: records leaving the component, one JSON
///   line each, sampled when the rate is high, until N were sent or the run ends.
/// - `GET /`, `/api/history`, `/api/events`: the web console (`ConsoleRoutes`), fed by
///   a `HistorySampler` that runs as long as the server.
///
/// `HTTPAccess` says which requests need a bearer token.
public final class OperationsServer: Sendable {
    /// Where the server listens, as `host:port` (the port chosen when 0 was asked).
    public let address: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let sampler: Task<Void, Never>

    public struct CannotListen: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts serving on `host:port` and returns once the socket listens (or throws why
    /// it cannot).
    public init(host: String, port: Int, access: HTTPAccess, monitor: RunMonitor, exporter: MetricsExporter, logger: Logger) throws {
        let router = Router()
        router.add(middleware: BearerTokenMiddleware(access: access))
        Self.addRoutes(to: router, monitor: monitor, exporter: exporter)
        let history = RunHistory()
        ConsoleRoutes.add(to: router, history: history)
        let server = try StartedServer(router: router, host: host, port: port, logger: logger, failure: "cannot serve HTTP on")
        (address, group, task) = (server.address, server.group, server.task)
        sampler = Task { await HistorySampler(monitor: monitor, history: history).run() }
    }

    deinit { sampler.cancel() }

    /// Stops serving: requests in progress may finish (taps end with the run) for up to
    /// 5 s, then the server is cancelled.
    public func stop() {
        // Open event streams end with the sampler, so the graceful shutdown need not wait.
        sampler.cancel()
        let done = DispatchSemaphore(value: 0)
        Task { [group, task] in
            await group.triggerGracefulShutdown()
            _ = await task.result
            done.signal()
        }
        if done.wait(timeout: .now() + 5) == .timedOut { task.cancel() }
    }

    private static func addRoutes(to router: Router<BasicRequestContext>, monitor: RunMonitor, exporter: MetricsExporter) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: exporter.scrape())))
        }
        router.get("/health") { _, _ in
            json(.ok, Health(status: "ok", uptimeSeconds: Date().timeIntervalSince(monitor.startedAt)))
        }
        router.get("/ready") { _, _ in
            let problems = monitor.notReady()
            return json(problems.isEmpty ? .ok : .serviceUnavailable, Readiness(ready: problems.isEmpty, notReady: problems))
        }
        router.get("/api/pipelines") { _, _ in
            json(.ok, PipelinesReport(monitor))
        }
        router.get("/api/graph") { _, _ in
            json(.ok, PipelineGraph(monitor.runners.map(\.definition)))
        }
        router.get("/api/kafka") { _, _ in
            guard let report = monitor.kafka else { return json(.ok, KafkaReportBody(report: nil)) }
            return json(.ok, KafkaReportBody(report: await report()))
        }
        router.get("/api/tap") { request, _ in
            let name = request.uri.queryParameters["component"].map(String.init) ?? ""
            let limit = request.uri.queryParameters["limit"].flatMap { Int($0) }
            switch monitor.component(named: name) {
            case .failure(let error):
                return json(.notFound, Failure(error: error.description))
            case .success(let stats) where stats.state == .finished:
                return json(.conflict, Failure(error: "component '\(stats.pipeline).\(stats.id)' has finished: nothing more leaves it"))
            case .success(let stats):
                return Response(
                    status: .ok, headers: [.contentType: "application/x-ndjson"],
                    body: TapStream(records: stats.tap.listen(), limit: limit).body)
            }
        }
    }

    struct Health: Encodable {
        var status: String
        var uptimeSeconds: Double
    }

    struct Readiness: Encodable {
        var ready: Bool
        var notReady: [RunMonitor.Problem]
    }

    struct Failure: Encodable {
        var error: String
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let bytes = (try? PipelinesReport.encoder().encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(bytes) + [0x0a])))
    }
}

/// The body of a tap response: each sampled record as a JSON line, until `limit`
/// records were sent, the component is done, or the client goes away.
struct TapStream: Sendable {
    let records: AsyncStream<[PipelineRecord]>
    let limit: Int?

    var body: ResponseBody {
        ResponseBody { [records, limit] writer in
            var sent = 0
            for await batch in records {
                var bytes: [UInt8] = []
                for record in batch {
                    if let limit, sent >= limit { break }
                    bytes += Array(record.jsonLine.utf8)
                    bytes.append(0x0a)
                    sent += 1
                }
                if !bytes.isEmpty { try await writer.write(ByteBuffer(bytes: bytes)) }
                if let limit, sent >= limit { break }
            }
            try await writer.finish(nil)
        }
    }
}
