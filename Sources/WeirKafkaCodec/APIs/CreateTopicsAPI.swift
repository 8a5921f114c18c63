/// CreateTopics (key 19): admin clients create topics with it (kafka-python's admin,
/// `kafka-topics --create`). Kafka sends it to the controller; Weir is its own. A topic's
/// `configs` are Kafka names (`retention.ms`, …) that `KafkaConfigNames` maps onto Weir's
/// `TopicConfig`; one it cannot take is answered with INVALID_CONFIG and the reason.
public enum CreateTopicsAPI: KafkaAPI {
    public static let key = APIKey.createTopics
    public static let versions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16 = 5

    public struct Request: KafkaMessage, Equatable {
        public struct CreatableTopic: Sendable, Equatable {
            public var name: String
            /// -1: the broker's default, or the count `assignments` gives.
            public var numPartitions: Int32
            /// -1: the broker's default. Weir keeps one replica.
            public var replicationFactor: Int16
            /// Manual placement, empty for automatic.
            public var assignments: [CreatableReplicaAssignment]
            public var configs: [CreatableTopicConfig]

            public init(
                name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
                assignments: [CreatableReplicaAssignment] = [], configs: [CreatableTopicConfig] = []
            ) {
                self.name = name
                self.numPartitions = numPartitions
                self.replicationFactor = replicationFactor
                self.assignments = assignments
                self.configs = configs
            }
        }

        public struct CreatableReplicaAssignment: Sendable, Equatable {
            public var partitionIndex: Int32
            public var brokerIDs: [Int32]

            public init(partitionIndex: Int32, brokerIDs: [Int32]) {
                self.partitionIndex = partitionIndex
                self.brokerIDs = brokerIDs
            }
        }

        public struct CreatableTopicConfig: Sendable, Equatable {
            public var name: String
            public var value: String?

            public init(name: String, value: String?) {
                self.name = name
                self.value = value
            }
        }

        public var topics: [CreatableTopic]
        public var timeoutMs: Int32
        /// v1+: check only, create nothing.
        public var validateOnly: Bool

        public init(topics: [CreatableTopic], timeoutMs: Int32 = 60000, validateOnly: Bool = false) {
            self.topics = topics
            self.timeoutMs = timeoutMs
            self.validateOnly = validateOnly
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            topics = try reader.array { reader in
                let name = try reader.string()
                let numPartitions = try reader.int32()
                let replicationFactor = try reader.int16()
                let assignments = try reader.array { reader in
                    let assignment = CreatableReplicaAssignment(
                        partitionIndex: try reader.int32(), brokerIDs: try reader.array { try $0.int32() })
                    try reader.taggedFields()
                    return assignment
                }
                let configs = try reader.array { reader in
                    let config = CreatableTopicConfig(name: try reader.string(), value: try reader.nullableString())
                    try reader.taggedFields()
                    return config
                }
                try reader.taggedFields()
                return CreatableTopic(
                    name: name, numPartitions: numPartitions, replicationFactor: replicationFactor,
                    assignments: assignments, configs: configs)
            }
            timeoutMs = try reader.int32()
            validateOnly = version >= 1 ? try reader.bool() : false
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.array(topics) { writer, topic in
                writer.string(topic.name)
                writer.int32(topic.numPartitions)
                writer.int16(topic.replicationFactor)
                writer.array(topic.assignments) { writer, assignment in
                    writer.int32(assignment.partitionIndex)
                    writer.array(assignment.brokerIDs) { $0.int32($1) }
                    writer.taggedFields()
                }
                writer.array(topic.configs) { writer, config in
                    writer.string(config.name)
                    writer.nullableString(config.value)
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            writer.int32(timeoutMs)
            if version >= 1 { writer.bool(validateOnly) }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct CreatableTopicResult: Sendable, Equatable {
            public var name: String
            public var errorCode: KafkaErrorCode
            /// v1+: why it failed (INVALID_CONFIG says which config and why), or nil.
            public var errorMessage: String?

            public init(name: String, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil) {
                self.name = name
                self.errorCode = errorCode
                self.errorMessage = errorMessage
            }
        }

        /// v2+.
        public var throttleTimeMs: Int32
        public var topics: [CreatableTopicResult]

        public init(throttleTimeMs: Int32 = 0, topics: [CreatableTopicResult]) {
            self.throttleTimeMs = throttleTimeMs
            self.topics = topics
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 2 ? try reader.int32() : 0
            topics = try reader.array { reader in
                let name = try reader.string()
                let errorCode = try KafkaErrorCode(reading: &reader)
                let errorMessage = version >= 1 ? try reader.nullableString() : nil
                try reader.taggedFields()
                return CreatableTopicResult(name: name, errorCode: errorCode, errorMessage: errorMessage)
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 2 { writer.int32(throttleTimeMs) }
            writer.array(topics) { writer, topic in
                writer.string(topic.name)
                writer.int16(topic.errorCode.rawValue)
                if version >= 1 { writer.nullableString(topic.errorMessage) }
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
