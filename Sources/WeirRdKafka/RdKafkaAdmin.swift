import CRdKafka

/// A topic to create on a cluster.
public struct ClusterTopic: Sendable, Equatable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Kafka topic configs (`retention.ms`, `compression.type`, …).
    public var configs: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int = 1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// Topic administration on a cluster: what exists, with how many partitions, and creation.
public final class RdKafkaAdmin: @unchecked Sendable {
    // unchecked: librdkafka handles are safe from any thread; each call waits on a queue of its own.
    private let handle: OpaquePointer

    public init(_ configuration: RdKafkaConfiguration) throws {
        handle = try makeHandle(RD_KAFKA_PRODUCER, configuration, events: 0)
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// Every topic of the cluster and its partition count.
    public func partitionCounts(timeoutMillis: Int32 = 10_000) throws -> [String: Int] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 1, nil, &metadata, timeoutMillis)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw RdKafkaError(error, context: "kafka metadata") }
        defer { rd_kafka_metadata_destroy(metadata) }
        var counts: [String: Int] = [:]
        for i in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[i]
            guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            counts[String(cString: topic.topic)] = Int(topic.partition_cnt)
        }
        return counts
    }

    /// Creates `topic`; throws `TOPIC_ALREADY_EXISTS` (code 36) when it is there.
    public func create(_ topic: ClusterTopic, timeoutMillis: Int32 = 30_000) throws {
        var errorText = [CChar](repeating: 0, count: 512)
        guard
            let new = rd_kafka_NewTopic_new(
                topic.name, Int32(topic.partitions), Int32(topic.replicationFactor), &errorText, errorText.count)
        else {
            throw RdKafkaError(
                code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: errorString(errorText), context: "topic '\(topic.name)'")
        }
        defer { rd_kafka_NewTopic_destroy(new) }
        for (key, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
            let error = rd_kafka_NewTopic_set_config(new, key, value)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "topic '\(topic.name)' config \(key)") }
        }
        let queue = rd_kafka_queue_new(handle)!
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)!
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMillis, &errorText, errorText.count)
        var topics: [OpaquePointer?] = [new]
        rd_kafka_CreateTopics(handle, &topics, 1, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMillis + 1000) else {
            throw RdKafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: "create topic '\(topic.name)'")
        }
        defer { rd_kafka_event_destroy(event) }
        let error = rd_kafka_event_error(event)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "create topic '\(topic.name)'") }
        let result = rd_kafka_event_CreateTopics_result(event)!
        var count = 0
        let results = rd_kafka_CreateTopics_result_topics(result, &count)!
        for i in 0..<count {
            let code = rd_kafka_topic_result_error(results[i])
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                let message = rd_kafka_topic_result_error_string(results[i]).map { String(cString: $0) }
                throw RdKafkaError(
                    code: code.rawValue, message: message ?? String(cString: rd_kafka_err2str(code)),
                    context: "create topic '\(topic.name)'")
            }
        }
    }
}
