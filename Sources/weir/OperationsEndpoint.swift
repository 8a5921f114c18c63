import ArgumentParser
import Foundation
import Logging
import WeirKafka
import WeirServer

/// `--http` of `weir run` and `weir serve`: who may use it, and starting it.
enum OperationsEndpoint {
    /// Who may use the endpoint (`HTTPAccess`); one line and exit 1 if it must not start.
    static func access(
        for address: HTTPAddress, token: HTTPTokenOption, insecureNoAuth: Bool, openProbes: Bool, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> HTTPAccess {
        do {
            let access = try HTTPAccess.decide(
                host: address.host, token: try token.tokenOrExit(environment: environment), insecureNoAuth: insecureNoAuth,
                openProbes: openProbes)
            if let warning = access.warning { logger.warning("\(warning)") }
            return access
        } catch let error as HTTPAccess.Refused {
            printError("weir: \(error)")
            throw ExitCode(1)
        }
    }

    /// Starts the HTTP endpoint, with Prometheus as the metrics backend.
    static func start(on address: HTTPAddress, access: HTTPAccess, monitor: RunMonitor, logger: Logger) throws -> OperationsServer {
        let exporter = MetricsExporter.bootstrap(monitor: monitor)
        let server = try OperationsServer(
            host: address.host, port: address.port, access: access, monitor: monitor, exporter: exporter, logger: logger)
        let guarded =
            access.token == nil
            ? "" : access.openProbes ? " (the API asks for the bearer token)" : " (every path asks for the bearer token)"
        printError("weir: serving the web console, /metrics, /health, /ready and /api on http://\(server.address)\(guarded)")
        return server
    }

    /// Shows the Kafka listener's clients and groups on `GET /api/kafka` (for `weir top`).
    static func show(_ listener: KafkaListener?, on monitor: RunMonitor?) {
        guard let listener, let monitor else { return }
        monitor.attachKafka { [broker = listener.broker] in await broker.clientsReport() }
    }
}
