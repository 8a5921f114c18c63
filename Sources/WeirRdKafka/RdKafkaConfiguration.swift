import CRdKafka

/// librdkafka properties (`bootstrap.servers`, `security.protocol`, `sasl.*`, `ssl.*`, …),
/// passed through as they are: a Kafka cluster's own settings need no code in Weir.
/// Later entries win over earlier ones, so defaults go first and the user's last.
public struct RdKafkaConfiguration: Sendable {
    public var properties: [(key: String, value: String)]

    public init(_ properties: [(key: String, value: String)] = []) {
        self.properties = properties
    }

    public init(bootstrap: String, _ properties: [(key: String, value: String)] = []) {
        self.properties = [("bootstrap.servers", bootstrap)] + properties
    }

    public subscript(_ key: String) -> String? {
        get { properties.last { $0.key == key }?.value }
        set {
            properties.removeAll { $0.key == key }
            if let newValue { properties.append((key, newValue)) }
        }
    }

    /// These properties, then `others` over them.
    public func merging(_ others: [(key: String, value: String)]) -> RdKafkaConfiguration {
        RdKafkaConfiguration(properties + others)
    }

    /// A new `rd_kafka_conf_t`; the caller owns it (`rd_kafka_new` takes it on success).
    func make(events: Int32) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw RdKafkaError(code: -1, message: "out of memory", context: "kafka configuration") }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in properties {
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw RdKafkaError(
                    code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: errorString(errorText), context: "kafka property '\(key)'")
            }
        }
        rd_kafka_conf_set_events(conf, events)
        return conf
    }
}

/// A librdkafka client handle of `type` made from `configuration`.
func makeHandle(_ type: rd_kafka_type_t, _ configuration: RdKafkaConfiguration, events: Int32) throws -> OpaquePointer {
    let conf = try configuration.make(events: events)
    var errorText = [CChar](repeating: 0, count: 512)
    guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
        rd_kafka_conf_destroy(conf)
        throw RdKafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: errorString(errorText), context: "kafka client")
    }
    return handle
}

/// The text librdkafka wrote into an error buffer.
func errorString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}
