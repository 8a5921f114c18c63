import ArgumentParser
import Logging
import WeirPipeline

/// `weir run --bootstrap`: the pipelines run on a Kafka-protocol cluster instead of the
/// embedded log.
struct ClusterOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Run on this Kafka-protocol cluster instead of the embedded log (its brokers, comma-separated); "
                + "the data directory then holds only checkpoints.",
            valueName: "host:port[,host:port…]"))
    var bootstrap: String?

    @Option(
        name: .customLong("kafka-property"),
        help: ArgumentHelp(
            "A librdkafka property for the cluster (security.protocol, sasl.*, ssl.*, client.id, …); repeatable.",
            valueName: "key=value"))
    var kafkaProperties: [String] = []

    func validate() throws {
        if bootstrap == nil && !kafkaProperties.isEmpty { throw ValidationError("--kafka-property goes with --bootstrap") }
        if let bootstrap, bootstrap.split(separator: ",").contains(where: { !$0.contains(":") }) {
            throw ValidationError("--bootstrap takes host:port[,host:port…], not '\(bootstrap)'")
        }
        _ = try properties()
    }

    func properties() throws -> [(key: String, value: String)] {
        try kafkaProperties.map { text in
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw ValidationError("--kafka-property takes key=value, not '\(text)'")
            }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
    }
}
