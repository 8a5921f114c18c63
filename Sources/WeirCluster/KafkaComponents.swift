public import WeirPipeline

/// The `kafka` source and sink: a pipeline's way to and from an existing Kafka-protocol
/// cluster (Apache Kafka, Redpanda, a managed service, or another Weir's listener),
/// whichever log the pipeline itself runs on.
public enum KafkaComponents {
    public static func register(in registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec(
                type: "kafka", kind: .source, summary: "reads topics of a Kafka cluster as a member of its consumer group",
                options: KafkaClientOptions.specs + [
                    OptionSpec("topics", .stringList, required: true), OptionSpec("group", .string),
                    OptionSpec("start", .oneOf(["earliest", "latest"])),
                ]), source: { KafkaSource(options: $0) })
        registry.register(
            ComponentSpec(
                type: "kafka", kind: .sink, summary: "produces records to a topic of a Kafka cluster (idempotent, at least once)",
                options: KafkaClientOptions.specs + [
                    OptionSpec("topic", .string, required: true), OptionSpec("key", .expression),
                    OptionSpec("encoding", .oneOf(["json", "text"])),
                    OptionSpec("compression", .oneOf(["none", "gzip", "snappy", "lz4", "zstd"])),
                ]), sink: { try KafkaSink(setup: $0) })
    }
}
