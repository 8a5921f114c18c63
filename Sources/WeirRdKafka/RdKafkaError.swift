import CRdKafka

/// An error from librdkafka, with what Weir was doing when it came: one line for the user.
public struct RdKafkaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// librdkafka's `rd_kafka_resp_err_t`: a Kafka error code (≥ 0) or one of its own (< 0).
    public let code: Int32
    public let message: String
    public let context: String

    public init(code: Int32, message: String, context: String) {
        self.code = code
        self.message = message
        self.context = context
    }

    init(_ code: rd_kafka_resp_err_t, context: String) {
        self.init(code: code.rawValue, message: String(cString: rd_kafka_err2str(code)), context: context)
    }

    /// Takes (and destroys) an `rd_kafka_error_t`.
    init(taking error: OpaquePointer, context: String) {
        defer { rd_kafka_error_destroy(error) }
        self.init(code: rd_kafka_error_code(error).rawValue, message: String(cString: rd_kafka_error_string(error)), context: context)
    }

    public var description: String { "\(context): \(message)" }

    /// librdkafka gave up on a message only because it ran out of time or was stopped;
    /// another attempt may succeed (the cluster was away), unlike a refusal of the record.
    public var isTransient: Bool {
        [
            RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
            RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
            RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        ]
        .map(\.rawValue).contains(code)
    }
}
