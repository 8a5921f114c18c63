/// OffsetCommit (key 8): a consumer stores its position in each partition for its group
/// (auto-commit every 5 s by default). A commit with generation -1 and member "" comes from
/// a consumer outside the group protocol (assign() + commit) and must be accepted while the
/// group is empty.
///
/// Served v2–7 (librdkafka 2.0.2 needs v2 in range; aiokafka uses only v2–3). v2–4 carry
/// `retentionTimeMs`, v6 adds the leader epoch and v7 static membership. v1's per-partition
/// `CommitTimestamp` is outside the served range and not modelled. v8 is the first flexible
/// version, otherwise the same as v7.
public enum OffsetCommitAPI: KafkaAPI {
    public static let key = APIKey.offsetCommit
    public static let versions: ClosedRange<Int16> = 2...7
    public static let firstFlexibleVersion: Int16 = 8

    public struct Request: KafkaMessage, Equatable {
        public struct OffsetCommitRequestTopic: Sendable, Equatable {
            public var name: String
            public var partitions: [OffsetCommitRequestPartition]

            public init(name: String, partitions: [OffsetCommitRequestPartition]) {
                self.name = name
                self.partitions = partitions
            }
        }

        public struct OffsetCommitRequestPartition: Sendable, Equatable {
            public var partitionIndex: Int32
            /// The next offset the consumer will read.
            public var committedOffset: Int64
            /// v6+; -1 when unknown or absent.
            public var committedLeaderEpoch: Int32
            /// Any text the client wants kept with the offset, or nil.
            public var committedMetadata: String?

            public init(partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, committedMetadata: String? = nil) {
                self.partitionIndex = partitionIndex
                self.committedOffset = committedOffset
                self.committedLeaderEpoch = committedLeaderEpoch
                self.committedMetadata = committedMetadata
            }
        }

        public var groupID: String
        /// The group generation (-1 from a consumer outside the group protocol).
        public var generationIDOrMemberEpoch: Int32
        /// "" from a consumer outside the group protocol.
        public var memberID: String
        /// v7+.
        public var groupInstanceID: String?
        /// v2–4: how long to keep the offsets, -1 for the broker's default.
        public var retentionTimeMs: Int64
        public var topics: [OffsetCommitRequestTopic]

        public init(
            groupID: String, generationIDOrMemberEpoch: Int32 = -1, memberID: String = "", groupInstanceID: String? = nil,
            retentionTimeMs: Int64 = -1, topics: [OffsetCommitRequestTopic]
        ) {
            self.groupID = groupID
            self.generationIDOrMemberEpoch = generationIDOrMemberEpoch
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.retentionTimeMs = retentionTimeMs
            self.topics = topics
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            groupID = try reader.string()
            generationIDOrMemberEpoch = try reader.int32()
            memberID = try reader.string()
            groupInstanceID = version >= 7 ? try reader.nullableString() : nil
            retentionTimeMs = (2...4).contains(version) ? try reader.int64() : -1
            topics = try reader.array { reader in
                let name = try reader.string()
                let partitions = try reader.array { reader in
                    let partitionIndex = try reader.int32()
                    let committedOffset = try reader.int64()
                    let committedLeaderEpoch = version >= 6 ? try reader.int32() : -1
                    let partition = OffsetCommitRequestPartition(
                        partitionIndex: partitionIndex, committedOffset: committedOffset, committedLeaderEpoch: committedLeaderEpoch,
                        committedMetadata: try reader.nullableString())
                    try reader.taggedFields()
                    return partition
                }
                try reader.taggedFields()
                return OffsetCommitRequestTopic(name: name, partitions: partitions)
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.string(groupID)
            writer.int32(generationIDOrMemberEpoch)
            writer.string(memberID)
            if version >= 7 { writer.nullableString(groupInstanceID) }
            if (2...4).contains(version) { writer.int64(retentionTimeMs) }
            writer.array(topics) { writer, topic in
                writer.string(topic.name)
                writer.array(topic.partitions) { writer, partition in
                    writer.int32(partition.partitionIndex)
                    writer.int64(partition.committedOffset)
                    if version >= 6 { writer.int32(partition.committedLeaderEpoch) }
                    writer.nullableString(partition.committedMetadata)
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct OffsetCommitResponseTopic: Sendable, Equatable {
            public var name: String
            public var partitions: [OffsetCommitResponsePartition]

            public init(name: String, partitions: [OffsetCommitResponsePartition]) {
                self.name = name
                self.partitions = partitions
            }
        }

        public struct OffsetCommitResponsePartition: Sendable, Equatable {
            public var partitionIndex: Int32
            public var errorCode: KafkaErrorCode

            public init(partitionIndex: Int32, errorCode: KafkaErrorCode = .none) {
                self.partitionIndex = partitionIndex
                self.errorCode = errorCode
            }
        }

        /// v3+.
        public var throttleTimeMs: Int32
        public var topics: [OffsetCommitResponseTopic]

        public init(throttleTimeMs: Int32 = 0, topics: [OffsetCommitResponseTopic]) {
            self.throttleTimeMs = throttleTimeMs
            self.topics = topics
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 3 ? try reader.int32() : 0
            topics = try reader.array { reader in
                let name = try reader.string()
                let partitions = try reader.array { reader in
                    let partition = OffsetCommitResponsePartition(
                        partitionIndex: try reader.int32(), errorCode: try KafkaErrorCode(reading: &reader))
                    try reader.taggedFields()
                    return partition
                }
                try reader.taggedFields()
                return OffsetCommitResponseTopic(name: name, partitions: partitions)
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 3 { writer.int32(throttleTimeMs) }
            writer.array(topics) { writer, topic in
                writer.string(topic.name)
                writer.array(topic.partitions) { writer, partition in
                    writer.int32(partition.partitionIndex)
                    writer.int16(partition.errorCode.rawValue)
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
