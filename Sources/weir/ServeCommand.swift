import ArgumentParser
import Logging
import WeirKafka
import WeirLog
import WeirPipeline

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
    @Flag(help: "With --kafka beyond loopback: serve without authentication anyway (logs a warning).")
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
        let stop = StopFlag()
        let signals = SignalHandler(stop: stop, message: "weir: stopping: closing the Kafka connections and the log")
        defer { signals.cancel() }
        try global.withLog { log in
            let listener = try kafkaOptions.startListener(on: log, logger: logger)
            while !stop.wait(until: nil) {}
            try waitFor { await listener?.close() }
        }
    }
}
