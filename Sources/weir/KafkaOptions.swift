import ArgumentParser
import Logging
import WeirKafka
import WeirLog
import WeirServer

/// The Kafka listener's options, shared by `weir serve` and `weir run`.
struct KafkaOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Serve the log to Kafka clients on this address; a bare port listens on 127.0.0.1. "
                + "Beyond loopback it needs --kafka-users (SASL) or --insecure-no-auth.",
            valueName: "addr:port"))
    var kafka: HTTPAddress?

    @Option(help: ArgumentHelp("The host:port Metadata tells clients to connect to (default: the bound address).", valueName: "host:port"))
    var kafkaAdvertise: HTTPAddress?

    @Flag(help: "Create an unknown topic (default settings) when a client asks Metadata or Produce for it.")
    var kafkaAutoCreateTopics = false

    @Option(
        help: ArgumentHelp(
            "Clients must authenticate with SASL/SCRAM-SHA-256 or SASL/PLAIN as one of the users of this file "
                + "(user:password lines; SCRAM-SHA-256$... credentials in place of passwords).",
            valueName: "file"))
    var kafkaUsers: String?

    @Option(help: ArgumentHelp("Serve Kafka clients over TLS with this certificate chain (PEM); with --kafka-tls-key.", valueName: "file"))
    var kafkaTlsCert: String?

    @Option(help: ArgumentHelp("The private key (PEM) of --kafka-tls-cert.", valueName: "file"))
    var kafkaTlsKey: String?

    @Option(help: ArgumentHelp("The largest Kafka request accepted, in bytes.", valueName: "bytes"))
    var kafkaMaxRequestBytes = 100 << 20

    func validate() throws {
        if kafka == nil
            && (kafkaAdvertise != nil || kafkaAutoCreateTopics || kafkaUsers != nil || kafkaTlsCert != nil || kafkaTlsKey != nil)
        {
            throw ValidationError("--kafka-advertise, --kafka-auto-create-topics, --kafka-users and --kafka-tls-* go with --kafka")
        }
        if (kafkaTlsCert == nil) != (kafkaTlsKey == nil) {
            throw ValidationError("--kafka-tls-cert and --kafka-tls-key go together")
        }
        guard kafkaMaxRequestBytes >= 1024 else { throw ValidationError("--kafka-max-request-bytes must be at least 1024") }
    }

    /// The users file, read (one line and exit 1 when it cannot be).
    func users() throws -> KafkaUsers? {
        guard let kafkaUsers else { return nil }
        do {
            return try KafkaUsers(file: kafkaUsers)
        } catch {
            printError("weir: \(error)")
            throw ExitCode(1)
        }
    }

    /// The TLS certificate and key, read (one line and exit 1 when they cannot be).
    func tls() throws -> KafkaTLS? {
        guard let kafkaTlsCert, let kafkaTlsKey else { return nil }
        do {
            return try KafkaTLS(certificateFile: kafkaTlsCert, keyFile: kafkaTlsKey)
        } catch {
            printError("weir: \(error)")
            throw ExitCode(1)
        }
    }

    /// Whether serving is allowed: on loopback always; beyond it with users (SASL; without
    /// TLS a warning says SASL/PLAIN passwords cross the network in clear) or with
    /// `--insecure-no-auth` (logged as a warning).
    func checkAccess(insecureNoAuth: Bool, logger: Logger) throws {
        guard let address = kafka, !HTTPAccess.isLoopback(address.host) else { return }
        if kafkaUsers != nil {
            if kafkaTlsCert == nil {
                let remedy = "give --kafka-tls-cert and --kafka-tls-key, or have clients use SCRAM-SHA-256"
                logger.warning(
                    "Kafka clients on \(address) may authenticate with SASL/PLAIN without TLS: their passwords cross the network in clear (\(remedy))"
                )
            }
            return
        }
        guard insecureNoAuth else {
            printError(
                "weir: --kafka on \(address.host) is beyond loopback and would let anyone who reaches it read, write and delete topics: "
                    + "give --kafka-users FILE (SASL), listen on 127.0.0.1, or pass --insecure-no-auth")
            throw ExitCode(1)
        }
        logger.warning("serving Kafka clients on \(address) without authentication (--insecure-no-auth)")
    }

    /// Starts the listener on `log` (from any thread that may block).
    func startListener(on log: EmbeddedLog, logger: Logger) throws -> KafkaListener? {
        guard let kafka else { return nil }
        // Fetches allocate and free megabytes on a dozen threads (event loops, the blocking
        // pool, Swift's pool); glibc's default of one arena per thread keeps each thread's
        // freed memory. Two arenas: four consumers reading at once peaked at 79 MiB instead
        // of 104 (BENCHMARKS.md).
        _ = glibcMallopt(glibcArenaMax, 2)
        var options = KafkaListenerOptions(
            host: kafka.host, port: kafka.port, advertisedHost: kafkaAdvertise?.host, advertisedPort: kafkaAdvertise?.port,
            autoCreateTopics: kafkaAutoCreateTopics, maxRequestBytes: kafkaMaxRequestBytes, users: try users(),
            tls: try tls(), addressFile: log.directory + "/" + RemoteAccess.listenerFile)
        options.resetOffsets = RemoteAccess.resetOffsets(in: log, logger: logger)
        let listener = try waitFor { [options] in try await KafkaListener(log: log, options: options, logger: logger) }
        printError("weir: serving Kafka clients on \(listener.address)")
        return listener
    }
}

/// glibc's `mallopt` (malloc.h is not in Swift's Glibc module) and its `M_ARENA_MAX`.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let glibcArenaMax: Int32 = -8
