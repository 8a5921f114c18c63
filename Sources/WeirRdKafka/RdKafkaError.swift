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

    /// The cluster (or librdkafka, before sending) refused this one record for what it
    /// is: too large, malformed, a bad timestamp. Sending it again would fail again, and
    /// the records beside it are not concerned. Every other delivery error (time ran out,
    /// the topic is unknown or not authorised, a codec refused, a fatal producer error)
    /// concerns the whole stream.
    public var refusesTheRecord: Bool {
        [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE,
            RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP, RD_KAFKA_RESP_ERR_INVALID_RECORD,
        ].map(\.rawValue).contains(code)
    }
}
