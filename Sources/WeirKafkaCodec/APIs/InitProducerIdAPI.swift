/// InitProducerId (key 22): an idempotent producer asks for its producer id and epoch
/// before its first Produce. With no transactional id (Weir has no transactions) each
/// call gets a new id with epoch 0, as Kafka does. Versions 0–1 have the same body (from
/// v1 a throttled response is sent before the throttle); the v3+ fields that let a
/// producer keep its id across an epoch bump are not served.
public enum InitProducerIdAPI: KafkaAPI {
    public static let key = APIKey.initProducerID
    public static let versions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16 = 2

    public struct Request: KafkaMessage, Equatable {
        /// Null for a producer that is idempotent but not transactional.
        public var transactionalID: String?
        public var transactionTimeoutMs: Int32

        public init(transactionalID: String? = nil, transactionTimeoutMs: Int32) {
            self.transactionalID = transactionalID
            self.transactionTimeoutMs = transactionTimeoutMs
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            transactionalID = try reader.nullableString()
            transactionTimeoutMs = try reader.int32()
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.nullableString(transactionalID)
            writer.int32(transactionTimeoutMs)
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public var throttleTimeMs: Int32
        public var errorCode: KafkaErrorCode
        public var producerID: Int64
        public var producerEpoch: Int16

        public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, producerID: Int64 = -1, producerEpoch: Int16) {
            self.throttleTimeMs = throttleTimeMs
            self.errorCode = errorCode
            self.producerID = producerID
            self.producerEpoch = producerEpoch
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = try reader.int32()
            errorCode = try KafkaErrorCode(reading: &reader)
            producerID = try reader.int64()
            producerEpoch = try reader.int16()
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.int32(throttleTimeMs)
            writer.int16(errorCode.rawValue)
            writer.int64(producerID)
            writer.int16(producerEpoch)
            writer.taggedFields()
        }
    }
}
