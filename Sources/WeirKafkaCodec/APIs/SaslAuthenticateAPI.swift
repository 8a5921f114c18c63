public import NIOCore

/// SaslAuthenticate (key 36): one round of the SASL exchange after a v1 SaslHandshake, the
/// mechanism's bytes in both directions (for PLAIN, the client's `\0user\0password`).
public enum SaslAuthenticateAPI: KafkaAPI {
    public static let key = APIKey.saslAuthenticate
    public static let versions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16 = 2

    public struct Request: KafkaMessage, Equatable {
        public var authBytes: ByteBuffer

        public init(authBytes: ByteBuffer) {
            self.authBytes = authBytes
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            authBytes = try reader.bytes()
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.bytes(authBytes)
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        /// SASL_AUTHENTICATION_FAILED with a message when the credentials are refused.
        public var errorCode: KafkaErrorCode
        public var errorMessage: String?
        public var authBytes: ByteBuffer
        /// v1+: milliseconds until the client must re-authenticate; 0 for never.
        public var sessionLifetimeMs: Int64

        public init(
            errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, authBytes: ByteBuffer = ByteBuffer(),
            sessionLifetimeMs: Int64 = 0
        ) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.authBytes = authBytes
            self.sessionLifetimeMs = sessionLifetimeMs
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            errorCode = try KafkaErrorCode(reading: &reader)
            errorMessage = try reader.nullableString()
            authBytes = try reader.bytes()
            sessionLifetimeMs = version >= 1 ? try reader.int64() : 0
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.int16(errorCode.rawValue)
            writer.nullableString(errorMessage)
            writer.bytes(authBytes)
            if version >= 1 { writer.int64(sessionLifetimeMs) }
            writer.taggedFields()
        }
    }
}
