/// ListOffsets (key 2): a partition's earliest offset (timestamp -2), latest (-1), or the
/// first offset whose record timestamp is at or after a time. Served v1 (librdkafka 2.0.2
/// needs it) to v5, the last classic version.
public enum ListOffsetsAPI: KafkaAPI {
    public static let key = APIKey.listOffsets
    public static let versions: ClosedRange<Int16> = 1...5
    public static let firstFlexibleVersion: Int16 = 6

    public static let latestTimestamp: Int64 = -1
    public static let earliestTimestamp: Int64 = -2

    public struct Request: KafkaMessage, Equatable {
        public struct ListOffsetsPartition: Sendable, Equatable {
            public var partitionIndex: Int32
            public var currentLeaderEpoch: Int32
            public var timestamp: Int64

            public init(partitionIndex: Int32, currentLeaderEpoch: Int32 = -1, timestamp: Int64) {
                self.partitionIndex = partitionIndex
                self.currentLeaderEpoch = currentLeaderEpoch
                self.timestamp = timestamp
            }
        }

        public struct ListOffsetsTopic: Sendable, Equatable {
            public var name: String
            public var partitions: [ListOffsetsPartition]

            public init(name: String, partitions: [ListOffsetsPartition]) {
                self.name = name
                self.partitions = partitions
            }
        }

        public var replicaID: Int32
        public var isolationLevel: Int8
        public var topics: [ListOffsetsTopic]

        public init(replicaID: Int32 = -1, isolationLevel: Int8 = 0, topics: [ListOffsetsTopic]) {
            self.replicaID = replicaID
            self.isolationLevel = isolationLevel
            self.topics = topics
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            replicaID = try reader.int32()
            isolationLevel = version >= 2 ? try reader.int8() : 0
            topics = try reader.array { reader in
                let name = try reader.string()
                let partitions = try reader.array { reader in
                    let index = try reader.int32()
                    let epoch = version >= 4 ? try reader.int32() : -1
                    let partition = ListOffsetsPartition(partitionIndex: index, currentLeaderEpoch: epoch, timestamp: try reader.int64())
                    try reader.taggedFields()
                    return partition
                }
                try reader.taggedFields()
                return ListOffsetsTopic(name: name, partitions: partitions)
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.int32(replicaID)
            if version >= 2 { writer.int8(isolationLevel) }
            writer.array(topics) { writer, topic in
                writer.string(topic.name)
                writer.array(topic.partitions) { writer, partition in
                    writer.int32(partition.partitionIndex)
                    if version >= 4 { writer.int32(partition.currentLeaderEpoch) }
                    writer.int64(partition.timestamp)
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct ListOffsetsPartitionResponse: Sendable, Equatable {
            public var partitionIndex: Int32
            public var errorCode: KafkaErrorCode
            public var timestamp: Int64
            public var offset: Int64
            public var leaderEpoch: Int32

            public init(
                partitionIndex: Int32, errorCode: KafkaErrorCode = .none, timestamp: Int64 = -1, offset: Int64 = -1, leaderEpoch: Int32 = -1
            ) {
                self.partitionIndex = partitionIndex
                self.errorCode = errorCode
                self.timestamp = timestamp
                self.offset = offset
                self.leaderEpoch = leaderEpoch
            }
        }

        public struct ListOffsetsTopicResponse: Sendable, Equatable {
            public var name: String
            public var partitions: [ListOffsetsPartitionResponse]

            public init(name: String, partitions: [ListOffsetsPartitionResponse]) {
                self.name = name
                self.partitions = partitions
            }
        }

        public var throttleTimeMs: Int32
        public var topics: [ListOffsetsTopicResponse]

        public init(throttleTimeMs: Int32 = 0, topics: [ListOffsetsTopicResponse]) {
            self.throttleTimeMs = throttleTimeMs
            self.topics = topics
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 2 ? try reader.int32() : 0
            topics = try reader.array { reader in
                let name = try reader.string()
                let partitions = try reader.array { reader in
                    var partition = ListOffsetsPartitionResponse(
                        partitionIndex: try reader.int32(), errorCode: try KafkaErrorCode(reading: &reader), timestamp: try reader.int64(),
                        offset: try reader.int64())
                    if version >= 4 { partition.leaderEpoch = try reader.int32() }
                    try reader.taggedFields()
                    return partition
                }
                try reader.taggedFields()
                return ListOffsetsTopicResponse(name: name, partitions: partitions)
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 2 { writer.int32(throttleTimeMs) }
            writer.array(topics) { writer, topic in
                writer.string(topic.name)
                writer.array(topic.partitions) { writer, partition in
                    writer.int32(partition.partitionIndex)
                    writer.int16(partition.errorCode.rawValue)
                    writer.int64(partition.timestamp)
                    writer.int64(partition.offset)
                    if version >= 4 { writer.int32(partition.leaderEpoch) }
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
