/// FindCoordinator (key 10): which broker coordinates a consumer group (or a transactional
/// id). Weir has a single broker, so the answer is always the listener itself. librdkafka
/// 2.0.2 needs v0 inside the advertised range for its group and LZ4 features.
///
/// Served v0–2; v3 is the first flexible version and v4 replaces the single key with a batch
/// (`CoordinatorKeys`, `Coordinators`), which is not modelled.
public enum FindCoordinatorAPI: KafkaAPI {
    public static let key = APIKey.findCoordinator
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16 = 3

    /// `keyType` values.
    public static let groupKeyType: Int8 = 0
    public static let transactionKeyType: Int8 = 1

    public struct Request: KafkaMessage, Equatable {
        /// The coordinator key: the group id for groups.
        public var key: String
        /// v1+: 0 for a group, 1 for a transactional id; v0 always means a group.
        public var keyType: Int8

        public init(key: String, keyType: Int8 = FindCoordinatorAPI.groupKeyType) {
            self.key = key
            self.keyType = keyType
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            key = try reader.string()
            keyType = version >= 1 ? try reader.int8() : 0
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.string(key)
            if version >= 1 { writer.int8(keyType) }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        /// v1+.
        public var throttleTimeMs: Int32
        public var errorCode: KafkaErrorCode
        /// v1+, nullable.
        public var errorMessage: String?
        public var nodeID: Int32
        public var host: String
        public var port: Int32

        public init(
            throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil,
            nodeID: Int32, host: String, port: Int32
        ) {
            self.throttleTimeMs = throttleTimeMs
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.nodeID = nodeID
            self.host = host
            self.port = port
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 1 ? try reader.int32() : 0
            errorCode = try KafkaErrorCode(reading: &reader)
            errorMessage = version >= 1 ? try reader.nullableString() : nil
            nodeID = try reader.int32()
            host = try reader.string()
            port = try reader.int32()
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 1 { writer.int32(throttleTimeMs) }
            writer.int16(errorCode.rawValue)
            if version >= 1 { writer.nullableString(errorMessage) }
            writer.int32(nodeID)
            writer.string(host)
            writer.int32(port)
            writer.taggedFields()
        }
    }
}
