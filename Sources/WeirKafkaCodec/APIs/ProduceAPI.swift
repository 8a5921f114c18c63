public import NIOCore

/// Produce (key 0): record batches for partitions. v3–8 carry RecordBatch v2; v0–2 carry
/// message sets of the older formats (`LegacyMessageSet`), which the broker converts.
/// librdkafka before 2.11 turns its gzip codec off unless v0 is in range, and its v2
/// batches unless v3 is. v8 is the last classic version. With acks 0 the client expects
/// no response at all.
public enum ProduceAPI: KafkaAPI {
    public static let key = APIKey.produce
    public static let versions: ClosedRange<Int16> = 0...8
    /// From this version the records are RecordBatch v2 (before it, message sets).
    public static let firstRecordBatchVersion: Int16 = 3
    public static let firstFlexibleVersion: Int16 = 9

    public struct Request: KafkaMessage, Equatable {
        public struct PartitionProduceData: Sendable, Equatable {
            public var index: Int32
            /// RecordBatch v2 batches back to back (a message set before v3), as the client sent them.
            public var records: ByteBuffer?

            public init(index: Int32, records: ByteBuffer?) {
                self.index = index
                self.records = records
            }
        }

        public struct TopicProduceData: Sendable, Equatable {
            public var name: String
            public var partitionData: [PartitionProduceData]

            public init(name: String, partitionData: [PartitionProduceData]) {
                self.name = name
                self.partitionData = partitionData
            }
        }

        public var transactionalID: String?
        /// 0: no response; 1: once appended; -1: once as durable as the topic's flush policy.
        public var acks: Int16
        public var timeoutMs: Int32
        public var topicData: [TopicProduceData]

        public init(transactionalID: String? = nil, acks: Int16, timeoutMs: Int32, topicData: [TopicProduceData]) {
            self.transactionalID = transactionalID
            self.acks = acks
            self.timeoutMs = timeoutMs
            self.topicData = topicData
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            if version >= 3 { transactionalID = try reader.nullableString() }
            acks = try reader.int16()
            timeoutMs = try reader.int32()
            topicData = try reader.array { reader in
                let name = try reader.string()
                let partitions = try reader.array { reader in
                    let data = PartitionProduceData(index: try reader.int32(), records: try reader.nullableBytes())
                    try reader.taggedFields()
                    return data
                }
                try reader.taggedFields()
                return TopicProduceData(name: name, partitionData: partitions)
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 3 { writer.nullableString(transactionalID) }
            writer.int16(acks)
            writer.int32(timeoutMs)
            writer.array(topicData) { writer, topic in
                writer.string(topic.name)
                writer.array(topic.partitionData) { writer, partition in
                    writer.int32(partition.index)
                    writer.nullableBytes(partition.records)
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct BatchIndexAndErrorMessage: Sendable, Equatable {
            public var batchIndex: Int32
            public var batchIndexErrorMessage: String?

            public init(batchIndex: Int32, batchIndexErrorMessage: String?) {
                self.batchIndex = batchIndex
                self.batchIndexErrorMessage = batchIndexErrorMessage
            }
        }

        public struct PartitionProduceResponse: Sendable, Equatable {
            public var index: Int32
            public var errorCode: KafkaErrorCode
            public var baseOffset: Int64
            /// -1: the topic keeps the producer's create time. v2+.
            public var logAppendTimeMs: Int64
            public var logStartOffset: Int64
            /// v8+.
            public var recordErrors: [BatchIndexAndErrorMessage]
            /// v8+: why the batch was refused, in words.
            public var errorMessage: String?

            public init(
                index: Int32,
                errorCode: KafkaErrorCode = .none,
                baseOffset: Int64 = -1,
                logAppendTimeMs: Int64 = -1,
                logStartOffset: Int64 = -1,
                recordErrors: [BatchIndexAndErrorMessage] = [],
                errorMessage: String? = nil
            ) {
                self.index = index
                self.errorCode = errorCode
                self.baseOffset = baseOffset
                self.logAppendTimeMs = logAppendTimeMs
                self.logStartOffset = logStartOffset
                self.recordErrors = recordErrors
                self.errorMessage = errorMessage
            }
        }

        public struct TopicProduceResponse: Sendable, Equatable {
            public var name: String
            public var partitionResponses: [PartitionProduceResponse]

            public init(name: String, partitionResponses: [PartitionProduceResponse]) {
                self.name = name
                self.partitionResponses = partitionResponses
            }
        }

        public var responses: [TopicProduceResponse]
        public var throttleTimeMs: Int32

        public init(responses: [TopicProduceResponse], throttleTimeMs: Int32 = 0) {
            self.responses = responses
            self.throttleTimeMs = throttleTimeMs
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            responses = try reader.array { reader in
                let name = try reader.string()
                let partitions = try reader.array { reader in
                    var partition = PartitionProduceResponse(
                        index: try reader.int32(), errorCode: try KafkaErrorCode(reading: &reader), baseOffset: try reader.int64())
                    if version >= 2 { partition.logAppendTimeMs = try reader.int64() }
                    if version >= 5 { partition.logStartOffset = try reader.int64() }
                    if version >= 8 {
                        partition.recordErrors = try reader.array { reader in
                            let error = BatchIndexAndErrorMessage(
                                batchIndex: try reader.int32(), batchIndexErrorMessage: try reader.nullableString())
                            try reader.taggedFields()
                            return error
                        }
                        partition.errorMessage = try reader.nullableString()
                    }
                    try reader.taggedFields()
                    return partition
                }
                try reader.taggedFields()
                return TopicProduceResponse(name: name, partitionResponses: partitions)
            }
            throttleTimeMs = version >= 1 ? try reader.int32() : 0
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.array(responses) { writer, topic in
                writer.string(topic.name)
                writer.array(topic.partitionResponses) { writer, partition in
                    writer.int32(partition.index)
                    writer.int16(partition.errorCode.rawValue)
                    writer.int64(partition.baseOffset)
                    if version >= 2 { writer.int64(partition.logAppendTimeMs) }
                    if version >= 5 { writer.int64(partition.logStartOffset) }
                    if version >= 8 {
                        writer.array(partition.recordErrors) { writer, error in
                            writer.int32(error.batchIndex)
                            writer.nullableString(error.batchIndexErrorMessage)
                            writer.taggedFields()
                        }
                        writer.nullableString(partition.errorMessage)
                    }
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            if version >= 1 { writer.int32(throttleTimeMs) }
            writer.taggedFields()
        }
    }
}
