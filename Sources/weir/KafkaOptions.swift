import ArgumentParser
import Dispatch
import Logging
import Synchronization
import WeirKafka
import WeirLog
import WeirServer

/// The Kafka listener's options, shared by `weir serve` and `weir run`.
struct KafkaOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Serve the log to Kafka clients on this address; a bare port listens on 127.0.0.1. "
                + "Beyond loopback it needs --insecure-no-auth (SASL and TLS are not implemented yet).",
            valueName: "addr:port"))
    var kafka: HTTPAddress?

    @Option(help: ArgumentHelp("The host:port Metadata tells clients to connect to (default: the bound address).", valueName: "host:port"))
    var kafkaAdvertise: HTTPAddress?

    @Flag(help: "Create an unknown topic (default settings) when a client asks Metadata or Produce for it.")
    var kafkaAutoCreateTopics = false

    @Option(help: ArgumentHelp("The largest Kafka request accepted, in bytes.", valueName: "bytes"))
    var kafkaMaxRequestBytes = 100 << 20

    func validate() throws {
        if kafka == nil && (kafkaAdvertise != nil || kafkaAutoCreateTopics) {
            throw ValidationError("--kafka-advertise and --kafka-auto-create-topics go with --kafka")
        }
        guard kafkaMaxRequestBytes >= 1024 else { throw ValidationError("--kafka-max-request-bytes must be at least 1024") }
    }

    /// Whether serving on `address` is allowed: loopback always; beyond it only with
    /// `--insecure-no-auth` (logged as a warning), since nothing authenticates clients yet.
    static func checkAccess(_ address: HTTPAddress, insecureNoAuth: Bool, logger: Logger) throws {
        guard !HTTPAccess.isLoopback(address.host) else { return }
        guard insecureNoAuth else {
            printError(
                "weir: --kafka on \(address.host) is beyond loopback and would let anyone who reaches it read, write and delete topics; "
                    + "SASL and TLS are not implemented yet: listen on 127.0.0.1, or pass --insecure-no-auth")
            throw ExitCode(1)
        }
        logger.warning("serving Kafka clients on \(address) without authentication (--insecure-no-auth)")
    }

    /// Starts the listener on `log` (from any thread that may block).
    func startListener(on log: EmbeddedLog, logger: Logger) throws -> KafkaListener? {
        guard let kafka else { return nil }
        let options = KafkaListenerOptions(
            host: kafka.host, port: kafka.port, advertisedHost: kafkaAdvertise?.host, advertisedPort: kafkaAdvertise?.port,
            autoCreateTopics: kafkaAutoCreateTopics, maxRequestBytes: kafkaMaxRequestBytes)
        let listener = try waitFor { try await KafkaListener(log: log, options: options, logger: logger) }
        printError("weir: serving Kafka clients on \(listener.address)")
        return listener
    }
}

/// Runs async work from a thread that may block (never from Swift's pool) and returns its result.
func waitFor<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let outcome = await Result(catching: { try await work() })
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
