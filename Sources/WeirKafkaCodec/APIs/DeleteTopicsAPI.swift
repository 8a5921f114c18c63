/// DeleteTopics (key 20): admin clients delete topics by name with it. Versions 0–3 name
/// topics only (topic ids come in v6).
public enum DeleteTopicsAPI: KafkaAPI {
    public static let key = APIKey.deleteTopics
    public static let versions: ClosedRange<Int16> = 0...3
    public static let firstFlexibleVersion: Int16 = 4

    public struct Request: KafkaMessage, Equatable {
        public var topicNames: [String]
        public var timeoutMs: Int32

        public init(topicNames: [String], timeoutMs: Int32) {
            self.topicNames = topicNames
            self.timeoutMs = timeoutMs
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            topicNames = try reader.array { try $0.string() }
            timeoutMs = try reader.int32()
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.array(topicNames) { $0.string($1) }
            writer.int32(timeoutMs)
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct DeletableTopicResult: Sendable, Equatable {
            public var name: String
            public var errorCode: KafkaErrorCode

            public init(name: String, errorCode: KafkaErrorCode = .none) {
                self.name = name
                self.errorCode = errorCode
            }
        }

        /// v1+.
        public var throttleTimeMs: Int32
        public var responses: [DeletableTopicResult]

        public init(throttleTimeMs: Int32 = 0, responses: [DeletableTopicResult]) {
            self.throttleTimeMs = throttleTimeMs
            self.responses = responses
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 1 ? try reader.int32() : 0
            responses = try reader.array { reader in
                let result = DeletableTopicResult(name: try reader.string(), errorCode: try KafkaErrorCode(reading: &reader))
                try reader.taggedFields()
                return result
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 1 { writer.int32(throttleTimeMs) }
            writer.array(responses) { writer, result in
                writer.string(result.name)
                writer.int16(result.errorCode.rawValue)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
