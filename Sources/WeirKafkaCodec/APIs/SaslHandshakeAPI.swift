/// SaslHandshake (key 17): the client names the SASL mechanism it wants (`PLAIN`,
/// `SCRAM-SHA-256`, …); the response lists the ones the broker enables. From v1 the
/// exchange that follows goes in SaslAuthenticate requests; after a v0 handshake the
/// client sends raw SASL tokens with no Kafka framing. Never flexible.
public enum SaslHandshakeAPI: KafkaAPI {
    public static let key = APIKey.saslHandshake
    public static let versions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16 = .max

    public struct Request: KafkaMessage, Equatable {
        public var mechanism: String

        public init(mechanism: String) {
            self.mechanism = mechanism
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            mechanism = try reader.string()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.string(mechanism)
        }
    }

    public struct Response: KafkaMessage, Equatable {
        /// UNSUPPORTED_SASL_MECHANISM when the requested mechanism is not enabled.
        public var errorCode: KafkaErrorCode
        public var mechanisms: [String]

        public init(errorCode: KafkaErrorCode = .none, mechanisms: [String]) {
            self.errorCode = errorCode
            self.mechanisms = mechanisms
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            errorCode = try KafkaErrorCode(reading: &reader)
            mechanisms = try reader.array { try $0.string() }
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.int16(errorCode.rawValue)
            writer.array(mechanisms) { $0.string($1) }
        }
    }
}
