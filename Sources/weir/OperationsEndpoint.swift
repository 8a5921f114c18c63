import ArgumentParser
import Foundation
import Logging
import WeirKafka
import WeirServer

/// `--http` of `weir run` and `weir serve`: who may use it, and starting it.
enum OperationsEndpoint {
    /// Who may use the endpoint (`HTTPAccess`); one line and exit 1 if it must not start.
    static func access(
        for address: HTTPAddress, token: HTTPTokenOption, users: HTTPUsers? = nil, insecureNoAuth: Bool,
        openProbes: Bool, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> HTTPAccess {
        do {
            let access = try HTTPAccess.decide(
                host: address.host, token: try token.tokenOrExit(environment: environment), users: users,
                insecureNoAuth: insecureNoAuth, openProbes: openProbes)
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
        let asked = [access.users == nil ? nil : "a user of --http-users", access.token == nil ? nil : "the bearer token"]
            .compactMap { $0 }.joined(separator: " or ")
        let guarded = !access.asks ? "" : access.openProbes ? " (the API asks for \(asked))" : " (every path asks for \(asked))"
        printError("weir: serving the web console, /metrics, /health, /ready and /api on http://\(server.address)\(guarded)")
        return server
    }

    /// Shows the Kafka listener's clients and groups on `GET /api/kafka` (for `weir top`).
    static func show(_ listener: KafkaListener?, on monitor: RunMonitor?) {
        guard let listener, let monitor else { return }
        monitor.attachKafka { [broker = listener.broker] in await broker.clientsReport() }
    }
}
