import ArgumentParser
import Logging
import WeirKafka
import WeirLog
import WeirPipeline
import WeirServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the data directory's topics and groups to Kafka clients until SIGINT or SIGTERM.",
        discussion: """
            Every Kafka client and tool (kcat, kafka-python, confluent-kafka, aiokafka, Kafka's CLI) can then \
            produce, consume, join groups and manage topics: weir serve --kafka 127.0.0.1:9092. \
            On SIGINT or SIGTERM it stops accepting, closes the connections and the log, and exits 0.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var kafkaOptions: KafkaOptions
    @Option(
        help: ArgumentHelp(
            "Also serve /metrics (the listener's, the log's, the process's), /health, /ready and /api/kafka (for weir top) on this address; a bare port listens on 127.0.0.1.",
            valueName: "addr:port"))
    var http: HTTPAddress?
    @OptionGroup var httpToken: HTTPTokenOption
    @OptionGroup var httpUsers: HTTPUsersOption
    @Flag(help: "With a token: /metrics, /health and /ready answer without it.")
    var httpOpenMetrics = false
    @Flag(help: "With --kafka or --http beyond loopback and no authentication: serve anyway (logs a warning).")
    var insecureNoAuth = false

    func validate() throws {
        guard kafkaOptions.kafka != nil else { throw ValidationError("weir serve needs --kafka ADDR:PORT") }
    }

    func run() async throws {
        try await onThreadOfItsOwn { try serveBlocking() }
    }

    private func serveBlocking() throws {
        let logger = global.logger
        try kafkaOptions.checkAccess(insecureNoAuth: insecureNoAuth, logger: logger)
        let access = try http.map {
            try OperationsEndpoint.access(
                for: $0, token: httpToken, users: try httpUsers.usersOrExit(), insecureNoAuth: insecureNoAuth, openProbes: httpOpenMetrics,
                logger: logger)
        }
        let monitor = http.map { _ in RunMonitor() }
        let server = try http.map { try OperationsEndpoint.start(on: $0, access: access!, monitor: monitor!, logger: logger) }
        defer { server?.stop() }
        let stop = StopFlag()
        let signals = SignalHandler(stop: stop, message: "weir: stopping: closing the Kafka connections and the log")
        defer { signals.cancel() }
        try global.withLog { log in
            monitor?.attach(log: log, runners: [])
            defer { monitor?.end() }
            let listener = try kafkaOptions.startListener(on: log, logger: logger)
            OperationsEndpoint.show(listener, on: monitor)
            while !stop.wait(until: nil) {}
            try waitFor { await listener?.close() }
        }
    }
}
