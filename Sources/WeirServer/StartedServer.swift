import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import WeirPipeline

/// A Hummingbird server running in a service group of its own: how `OperationsServer`
/// and the `http_server` source both start theirs.
struct StartedServer: Sendable {
    /// Where it listens, as `host:port` (the port chosen when 0 was asked).
    let address: String
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// Starts serving `router` on `host:port` and returns once the socket listens, or
    /// throws `CannotListen` whose line starts with `failure` ("cannot serve HTTP on").
    /// The server's tasks run on `executor` when one is given; `stopped` is set when the
    /// server has ended.
    init(
        router: Router<BasicRequestContext>, host: String, port: Int, logger: Logger, failure: String,
        executor: (any TaskExecutor)? = nil, stopped: StopFlag? = nil
    ) throws {
        let bound = Mutex<Result<String, any Error>?>(nil)
        let started = DispatchSemaphore(value: 0)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "weir"),
            onServerRunning: { channel in
                let shownHost = host.contains(":") ? "[\(host)]" : host
                bound.withLock { $0 = .success("\(shownHost):\(channel.localAddress?.port ?? port)") }
                started.signal()
            },
            logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        self.group = group
        task = Task(executorPreference: executor) {
            defer { stopped?.set() }
            do {
                try await group.run()
            } catch {
                bound.withLock { $0 = $0 ?? .failure(error) }
                started.signal()
                throw error
            }
        }
        started.wait()
        switch bound.withLock({ $0 }) {
        case .success(let address): self.address = address
        case .failure(let error as IOError):
            throw OperationsServer.CannotListen(description: "\(failure) \(host):\(port): \(String(cString: strerror(error.errnoCode)))")
        case .failure(let error): throw OperationsServer.CannotListen(description: "\(failure) \(host):\(port): \(error)")
        case nil: throw OperationsServer.CannotListen(description: "\(failure) \(host):\(port)")
        }
    }
}
