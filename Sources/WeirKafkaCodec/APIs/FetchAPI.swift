public import NIOCore
public import WeirLog

/// Fetch (key 1): record batches from partitions, long-polled. Served v4 (the first with
/// record format v2 and the last stable offset) to v11 (the last classic version, with
/// rack id and preferred read replica). Fetch sessions (v7+) are answered with session 0:
/// "no session", every requested partition in every response, as kafka-python requires.
public enum FetchAPI: KafkaAPI {
    public static let key = APIKey.fetch
    public static let versions: ClosedRange<Int16> = 4...11
    public static let firstFlexibleVersion: Int16 = 12

    public struct Request: KafkaMessage, Equatable {
        public struct FetchPartition: Sendable, Equatable {
            public var partition: Int32
            public var currentLeaderEpoch: Int32
            public var fetchOffset: Int64
            public var logStartOffset: Int64
            public var partitionMaxBytes: Int32

            public init(
                partition: Int32, currentLeaderEpoch: Int32 = -1, fetchOffset: Int64, logStartOffset: Int64 = -1, partitionMaxBytes: Int32
            ) {
                self.partition = partition
                self.currentLeaderEpoch = currentLeaderEpoch
                self.fetchOffset = fetchOffset
                self.logStartOffset = logStartOffset
                self.partitionMaxBytes = partitionMaxBytes
            }
        }

        public struct FetchTopic: Sendable, Equatable {
            public var topic: String
            public var partitions: [FetchPartition]

            public init(topic: String, partitions: [FetchPartition]) {
                self.topic = topic
                self.partitions = partitions
            }
        }

        public struct ForgottenTopic: Sendable, Equatable {
            public var topic: String
            public var partitions: [Int32]

            public init(topic: String, partitions: [Int32]) {
                self.topic = topic
                self.partitions = partitions
            }
        }

        public var replicaID: Int32
        public var maxWaitMs: Int32
        public var minBytes: Int32
        public var maxBytes: Int32
        /// 0: read uncommitted, 1: read committed (the same here: Weir has no transactions).
        public var isolationLevel: Int8
        public var sessionID: Int32
        public var sessionEpoch: Int32
        public var topics: [FetchTopic]
        public var forgottenTopicsData: [ForgottenTopic]
        public var rackID: String

        public init(
            replicaID: Int32 = -1,
            maxWaitMs: Int32,
            minBytes: Int32,
            maxBytes: Int32 = .max,
            isolationLevel: Int8 = 0,
            sessionID: Int32 = 0,
            sessionEpoch: Int32 = -1,
            topics: [FetchTopic],
            forgottenTopicsData: [ForgottenTopic] = [],
            rackID: String = ""
        ) {
            self.replicaID = replicaID
            self.maxWaitMs = maxWaitMs
            self.minBytes = minBytes
            self.maxBytes = maxBytes
            self.isolationLevel = isolationLevel
            self.sessionID = sessionID
            self.sessionEpoch = sessionEpoch
            self.topics = topics
            self.forgottenTopicsData = forgottenTopicsData
            self.rackID = rackID
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            replicaID = try reader.int32()
            maxWaitMs = try reader.int32()
            minBytes = try reader.int32()
            maxBytes = try reader.int32()
            isolationLevel = try reader.int8()
            sessionID = version >= 7 ? try reader.int32() : 0
            sessionEpoch = version >= 7 ? try reader.int32() : -1
            topics = try reader.array { reader in
                let topic = try reader.string()
                let partitions = try reader.array { reader in
                    let partition = try reader.int32()
                    let epoch = version >= 9 ? try reader.int32() : -1
                    let offset = try reader.int64()
                    let start = version >= 5 ? try reader.int64() : -1
                    let data = FetchPartition(
                        partition: partition, currentLeaderEpoch: epoch, fetchOffset: offset, logStartOffset: start,
                        partitionMaxBytes: try reader.int32())
                    try reader.taggedFields()
                    return data
                }
                try reader.taggedFields()
                return FetchTopic(topic: topic, partitions: partitions)
            }
            if version >= 7 {
                forgottenTopicsData = try reader.array { reader in
                    let forgotten = ForgottenTopic(topic: try reader.string(), partitions: try reader.array { try $0.int32() })
                    try reader.taggedFields()
                    return forgotten
                }
            } else {
                forgottenTopicsData = []
            }
            rackID = version >= 11 ? try reader.string() : ""
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.int32(replicaID)
            writer.int32(maxWaitMs)
            writer.int32(minBytes)
            writer.int32(maxBytes)
            writer.int8(isolationLevel)
            if version >= 7 {
                writer.int32(sessionID)
                writer.int32(sessionEpoch)
            }
            writer.array(topics) { writer, topic in
                writer.string(topic.topic)
                writer.array(topic.partitions) { writer, partition in
                    writer.int32(partition.partition)
                    if version >= 9 { writer.int32(partition.currentLeaderEpoch) }
                    writer.int64(partition.fetchOffset)
                    if version >= 5 { writer.int64(partition.logStartOffset) }
                    writer.int32(partition.partitionMaxBytes)
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            if version >= 7 {
                writer.array(forgottenTopicsData) { writer, forgotten in
                    writer.string(forgotten.topic)
                    writer.array(forgotten.partitions) { $0.int32($1) }
                    writer.taggedFields()
                }
            }
            if version >= 11 { writer.string(rackID) }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct AbortedTransaction: Sendable, Equatable {
            public var producerID: Int64
            public var firstOffset: Int64

            public init(producerID: Int64, firstOffset: Int64) {
                self.producerID = producerID
                self.firstOffset = firstOffset
            }
        }

        public struct PartitionData: Sendable, Equatable {
            public var partitionIndex: Int32
            public var errorCode: KafkaErrorCode
            public var highWatermark: Int64
            /// Equal to the high watermark: Weir has no transactions (librdkafka reads up to it
            /// in its default read_committed mode).
            public var lastStableOffset: Int64
            public var logStartOffset: Int64
            public var abortedTransactions: [AbortedTransaction]?
            /// Always -1: any other value makes librdkafka drop the data.
            public var preferredReadReplica: Int32
            /// Whole batches, the first holding the fetch offset.
            public var records: ByteBuffer?
            /// The same, left in a segment file and sent from it (written instead of
            /// `records`; never decoded).
            public var recordsOnDisk: FileSpan?

            public init(
                partitionIndex: Int32,
                errorCode: KafkaErrorCode = .none,
                highWatermark: Int64 = -1,
                lastStableOffset: Int64 = -1,
                logStartOffset: Int64 = -1,
                abortedTransactions: [AbortedTransaction]? = nil,
                preferredReadReplica: Int32 = -1,
                records: ByteBuffer? = nil
            ) {
                self.partitionIndex = partitionIndex
                self.errorCode = errorCode
                self.highWatermark = highWatermark
                self.lastStableOffset = lastStableOffset
                self.logStartOffset = logStartOffset
                self.abortedTransactions = abortedTransactions
                self.preferredReadReplica = preferredReadReplica
                self.records = records
            }
        }

        public struct FetchableTopicResponse: Sendable, Equatable {
            public var topic: String
            public var partitions: [PartitionData]

            public init(topic: String, partitions: [PartitionData]) {
                self.topic = topic
                self.partitions = partitions
            }
        }

        public var throttleTimeMs: Int32
        public var errorCode: KafkaErrorCode
        public var sessionID: Int32
        public var responses: [FetchableTopicResponse]

        public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, sessionID: Int32 = 0, responses: [FetchableTopicResponse])
        {
            self.throttleTimeMs = throttleTimeMs
            self.errorCode = errorCode
            self.sessionID = sessionID
            self.responses = responses
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = try reader.int32()
            errorCode = version >= 7 ? try KafkaErrorCode(reading: &reader) : .none
            sessionID = version >= 7 ? try reader.int32() : 0
            responses = try reader.array { reader in
                let topic = try reader.string()
                let partitions = try reader.array { reader in
                    var data = PartitionData(
                        partitionIndex: try reader.int32(), errorCode: try KafkaErrorCode(reading: &reader),
                        highWatermark: try reader.int64())
                    data.lastStableOffset = try reader.int64()
                    if version >= 5 { data.logStartOffset = try reader.int64() }
                    data.abortedTransactions = try reader.nullableArray { reader in
                        let aborted = AbortedTransaction(producerID: try reader.int64(), firstOffset: try reader.int64())
                        try reader.taggedFields()
                        return aborted
                    }
                    if version >= 11 { data.preferredReadReplica = try reader.int32() }
                    data.records = try reader.nullableBytes()
                    try reader.taggedFields()
                    return data
                }
                try reader.taggedFields()
                return FetchableTopicResponse(topic: topic, partitions: partitions)
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.int32(throttleTimeMs)
            if version >= 7 {
                writer.int16(errorCode.rawValue)
                writer.int32(sessionID)
            }
            writer.array(responses) { writer, topic in
                writer.string(topic.topic)
                writer.array(topic.partitions) { writer, data in
                    writer.int32(data.partitionIndex)
                    writer.int16(data.errorCode.rawValue)
                    writer.int64(data.highWatermark)
                    writer.int64(data.lastStableOffset)
                    if version >= 5 { writer.int64(data.logStartOffset) }
                    writer.nullableArray(data.abortedTransactions) { writer, aborted in
                        writer.int64(aborted.producerID)
                        writer.int64(aborted.firstOffset)
                        writer.taggedFields()
                    }
                    if version >= 11 { writer.int32(data.preferredReadReplica) }
                    if let span = data.recordsOnDisk { writer.bytes(onDisk: span) } else { writer.nullableBytes(data.records) }
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
