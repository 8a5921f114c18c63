/// ApiVersions (key 18): which APIs and versions the listener serves. Clients send it
/// first on every connection. Its response always uses response header v0, even in
/// flexible versions, so a client can read it before it knows what the broker speaks.
public enum ApiVersionsAPI: KafkaAPI {
    public static let key = APIKey.apiVersions
    /// v4 has v3's body; kafka-python asks it first.
    public static let versions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16 = 3

    public struct Request: KafkaMessage, Equatable {
        /// v3+: the client's name and version (librdkafka sends "librdkafka", "2.0.2").
        public var clientSoftwareName: String?
        public var clientSoftwareVersion: String?

        public init(clientSoftwareName: String? = nil, clientSoftwareVersion: String? = nil) {
            self.clientSoftwareName = clientSoftwareName
            self.clientSoftwareVersion = clientSoftwareVersion
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            if version >= 3 {
                clientSoftwareName = try reader.string()
                clientSoftwareVersion = try reader.string()
                try reader.taggedFields()
            }
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 3 {
                writer.string(clientSoftwareName ?? "")
                writer.string(clientSoftwareVersion ?? "")
                writer.taggedFields()
            }
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct Range: Sendable, Equatable {
            public var apiKey: Int16
            public var minVersion: Int16
            public var maxVersion: Int16

            public init(apiKey: Int16, minVersion: Int16, maxVersion: Int16) {
                self.apiKey = apiKey
                self.minVersion = minVersion
                self.maxVersion = maxVersion
            }
        }

        public var errorCode: KafkaErrorCode
        public var apiKeys: [Range]
        public var throttleTimeMs: Int32

        public init(errorCode: KafkaErrorCode = .none, apiKeys: [Range], throttleTimeMs: Int32 = 0) {
            self.errorCode = errorCode
            self.apiKeys = apiKeys
            self.throttleTimeMs = throttleTimeMs
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            errorCode = try KafkaErrorCode(reading: &reader)
            apiKeys = try reader.array { reader in
                let range = Range(apiKey: try reader.int16(), minVersion: try reader.int16(), maxVersion: try reader.int16())
                try reader.taggedFields()
                return range
            }
            throttleTimeMs = version >= 1 ? try reader.int32() : 0
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.int16(errorCode.rawValue)
            writer.array(apiKeys) { writer, range in
                writer.int16(range.apiKey)
                writer.int16(range.minVersion)
                writer.int16(range.maxVersion)
                writer.taggedFields()
            }
            if version >= 1 { writer.int32(throttleTimeMs) }
            writer.taggedFields()
        }
    }
}
