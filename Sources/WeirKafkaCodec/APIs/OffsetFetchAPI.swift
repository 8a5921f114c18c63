/// OffsetFetch (key 9): a consumer reads its group's committed positions when it gets
/// partitions, before it fetches.
///
/// Served v1–5 (librdkafka 2.0.2 needs v1 in range). From v2 a null `topics` asks for every
/// topic the group has committed (kafka-python's admin client uses this) and the response
/// has a top-level error code; v3 adds the throttle time and v5 the leader epoch. v6 is the
/// first flexible version, otherwise the same as v5.
public enum OffsetFetchAPI: KafkaAPI {
    public static let key = APIKey.offsetFetch
    public static let versions: ClosedRange<Int16> = 1...5
    public static let firstFlexibleVersion: Int16 = 6

    public struct Request: KafkaMessage, Equatable {
        public struct OffsetFetchRequestTopic: Sendable, Equatable {
            public var name: String
            public var partitionIndexes: [Int32]

            public init(name: String, partitionIndexes: [Int32]) {
                self.name = name
                self.partitionIndexes = partitionIndexes
            }
        }

        public var groupID: String
        /// The topics and partitions asked for; nil (v2+) for all topics. Written as an empty
        /// array when nil in v1, where it cannot be null.
        public var topics: [OffsetFetchRequestTopic]?

        public init(groupID: String, topics: [OffsetFetchRequestTopic]?) {
            self.groupID = groupID
            self.topics = topics
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            groupID = try reader.string()
            let topic = { (reader: inout KafkaReader) throws -> OffsetFetchRequestTopic in
                let item = OffsetFetchRequestTopic(name: try reader.string(), partitionIndexes: try reader.array { try $0.int32() })
                try reader.taggedFields()
                return item
            }
            topics = version >= 2 ? try reader.nullableArray(topic) : try reader.array(topic)
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.string(groupID)
            let topic = { (writer: inout KafkaWriter, topic: OffsetFetchRequestTopic) in
                writer.string(topic.name)
                writer.array(topic.partitionIndexes) { $0.int32($1) }
                writer.taggedFields()
            }
            if version >= 2 { writer.nullableArray(topics, topic) } else { writer.array(topics ?? [], topic) }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct OffsetFetchResponseTopic: Sendable, Equatable {
            public var name: String
            public var partitions: [OffsetFetchResponsePartition]

            public init(name: String, partitions: [OffsetFetchResponsePartition]) {
                self.name = name
                self.partitions = partitions
            }
        }

        public struct OffsetFetchResponsePartition: Sendable, Equatable {
            public var partitionIndex: Int32
            /// -1 when the group has no offset for the partition.
            public var committedOffset: Int64
            /// v5+; -1 when unknown or absent.
            public var committedLeaderEpoch: Int32
            public var metadata: String?
            public var errorCode: KafkaErrorCode

            public init(
                partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, metadata: String? = nil,
                errorCode: KafkaErrorCode = .none
            ) {
                self.partitionIndex = partitionIndex
                self.committedOffset = committedOffset
                self.committedLeaderEpoch = committedLeaderEpoch
                self.metadata = metadata
                self.errorCode = errorCode
            }
        }

        /// v3+.
        public var throttleTimeMs: Int32
        public var topics: [OffsetFetchResponseTopic]
        /// v2+: a group or coordinator error.
        public var errorCode: KafkaErrorCode

        public init(throttleTimeMs: Int32 = 0, topics: [OffsetFetchResponseTopic], errorCode: KafkaErrorCode = .none) {
            self.throttleTimeMs = throttleTimeMs
            self.topics = topics
            self.errorCode = errorCode
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 3 ? try reader.int32() : 0
            topics = try reader.array { reader in
                let name = try reader.string()
                let partitions = try reader.array { reader in
                    let partitionIndex = try reader.int32()
                    let committedOffset = try reader.int64()
                    let committedLeaderEpoch = version >= 5 ? try reader.int32() : -1
                    let partition = OffsetFetchResponsePartition(
                        partitionIndex: partitionIndex, committedOffset: committedOffset, committedLeaderEpoch: committedLeaderEpoch,
                        metadata: try reader.nullableString(), errorCode: try KafkaErrorCode(reading: &reader))
                    try reader.taggedFields()
                    return partition
                }
                try reader.taggedFields()
                return OffsetFetchResponseTopic(name: name, partitions: partitions)
            }
            errorCode = version >= 2 ? try KafkaErrorCode(reading: &reader) : .none
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 3 { writer.int32(throttleTimeMs) }
            writer.array(topics) { writer, topic in
                writer.string(topic.name)
                writer.array(topic.partitions) { writer, partition in
                    writer.int32(partition.partitionIndex)
                    writer.int64(partition.committedOffset)
                    if version >= 5 { writer.int32(partition.committedLeaderEpoch) }
                    writer.nullableString(partition.metadata)
                    writer.int16(partition.errorCode.rawValue)
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            if version >= 2 { writer.int16(errorCode.rawValue) }
            writer.taggedFields()
        }
    }
}
