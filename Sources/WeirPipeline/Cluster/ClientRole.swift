import WeirRdKafka

/// Which librdkafka client a cluster run makes: `--kafka-property` applies to all of them,
/// and each gets only the properties its kind knows (librdkafka warns of the others on
/// standard error).
enum ClientRole {
    case producer
    case consumer
    case admin

    /// librdkafka's consumer-only properties (CONFIGURATION.md, scope C).
    static let consumerOnly: Set<String> = [
        "group.id", "group.instance.id", "partition.assignment.strategy", "session.timeout.ms", "heartbeat.interval.ms",
        "group.protocol.type", "group.protocol", "group.remote.assignor", "coordinator.query.interval.ms", "max.poll.interval.ms",
        "enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store", "queued.min.messages",
        "queued.max.messages.kbytes", "fetch.wait.max.ms", "fetch.queue.backoff.ms", "fetch.message.max.bytes",
        "max.partition.fetch.bytes", "fetch.max.bytes", "fetch.min.bytes", "fetch.error.backoff.ms", "offset.store.method",
        "isolation.level", "consume.callback.max.messages", "enable.partition.eof", "check.crcs", "auto.offset.reset",
        "auto.commit.enable", "offset.store.path", "offset.store.sync.interval.ms",
    ]

    /// librdkafka's producer-only properties (scope P).
    static let producerOnly: Set<String> = [
        "transactional.id", "transaction.timeout.ms", "enable.idempotence", "enable.gapless.guarantee",
        "queue.buffering.max.messages", "queue.buffering.max.kbytes", "queue.buffering.max.ms", "linger.ms",
        "message.send.max.retries", "retries", "retry.backoff.ms", "retry.backoff.max.ms", "queue.buffering.backpressure.threshold",
        "compression.codec", "compression.type", "compression.level", "batch.num.messages", "batch.size",
        "delivery.report.only.error", "request.required.acks", "acks", "request.timeout.ms", "message.timeout.ms",
        "delivery.timeout.ms", "partitioner", "sticky.partitioning.linger.ms", "msg_order_cmp", "produce.offset.report",
    ]

    /// `configuration` without what this kind of client does not know.
    func filter(_ configuration: RdKafkaConfiguration) -> RdKafkaConfiguration {
        let unknown: Set<String> =
            switch self {
            case .producer: Self.consumerOnly
            case .consumer: Self.producerOnly
            case .admin: Self.consumerOnly.union(Self.producerOnly)
            }
        return RdKafkaConfiguration(configuration.properties.filter { !unknown.contains($0.key) })
    }
}
