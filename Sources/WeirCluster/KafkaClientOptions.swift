import WeirPipeline
import WeirRdKafka
import WeirValues

/// The options every `kafka` source and sink has: where the cluster is, and librdkafka
/// properties passed through as they are (`security.protocol`, `sasl.*`, `ssl.*`, …).
enum KafkaClientOptions {
    static let specs: [OptionSpec] = [
        OptionSpec("bootstrap", .string, required: true, description: "HOST:PORT[,HOST:PORT…] of the cluster"),
        OptionSpec("properties", .stringMap, description: "librdkafka properties, passed through"),
    ]

    /// The client's configuration: Weir's `client.id`, the bootstrap servers, then the
    /// component's own properties over them.
    static func configuration(_ options: ComponentOptions, _ defaults: [(key: String, value: String)] = []) throws -> RdKafkaConfiguration {
        let properties = options.stringPairs("properties").map { (key: $0.0, value: $0.1) }
        return RdKafkaConfiguration(
            bootstrap: try options.required("bootstrap"), [("client.id", "weir-\(options.pipeline)-\(options.id)")] + defaults + properties)
    }
}
