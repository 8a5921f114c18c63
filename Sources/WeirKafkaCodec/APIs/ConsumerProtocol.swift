public import NIOCore

/// The "consumer" protocol type's payloads, opaque to the coordinator: a member's
/// subscription in each JoinGroup protocol's metadata, and each member's assignment in the
/// leader's SyncGroup request. Both start with an int16 version and are never flexible
/// (Kafka's `ConsumerProtocolSubscription.json` / `ConsumerProtocolAssignment.json`, v0–3).
/// Kafka reads a newer version with the newest layout it knows, since versions only add
/// fields at the end; so do these, and bytes after the known fields are ignored.
///
/// Writers seen: librdkafka 2.0.2 subscription v1, later librdkafka v3, kafka-python and
/// aiokafka v0; assignments v0 (v1 from cooperative assignors).
public struct ConsumerProtocolSubscription: Sendable, Equatable {
    public struct TopicPartition: Sendable, Equatable {
        public var topic: String
        public var partitions: [Int32]

        public init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// The version on the wire (any version ≥ 0; fields past v3 are not known).
    public var version: Int16
    public var topics: [String]
    /// The assignor's own data, or nil.
    public var userData: ByteBuffer?
    /// v1+: the partitions the member holds now (cooperative rebalancing).
    public var ownedPartitions: [TopicPartition]
    /// v2+: the generation `ownedPartitions` is from, -1 when absent.
    public var generationID: Int32
    /// v3+: the member's `client.rack`, or nil.
    public var rackID: String?

    public init(
        version: Int16, topics: [String], userData: ByteBuffer? = nil, ownedPartitions: [TopicPartition] = [],
        generationID: Int32 = -1, rackID: String? = nil
    ) {
        self.version = version
        self.topics = topics
        self.userData = userData
        self.ownedPartitions = ownedPartitions
        self.generationID = generationID
        self.rackID = rackID
    }

    /// Reads a subscription from a JoinGroup protocol's metadata. A negative version, or
    /// bytes ending inside a field its version has, throws.
    public init(decoding bytes: ByteBuffer) throws {
        var reader = KafkaReader(bytes, flexible: false)
        version = try reader.int16()
        guard version >= 0 else { throw KafkaCodecError.malformed("consumer protocol subscription version \(version)") }
        topics = try reader.array { try $0.string() }
        userData = try reader.nullableBytes()
        ownedPartitions = version >= 1 ? try reader.array(readTopicPartition) : []
        generationID = version >= 2 ? try reader.int32() : -1
        rackID = version >= 3 ? try reader.nullableString() : nil
    }

    /// The bytes for a JoinGroup protocol's metadata: the fields of `version`, the others
    /// left out.
    public func encoded() -> ByteBuffer {
        var writer = KafkaWriter(flexible: false)
        writer.int16(version)
        writer.array(topics) { $0.string($1) }
        writer.nullableBytes(userData)
        if version >= 1 { writer.array(ownedPartitions, writeTopicPartition) }
        if version >= 2 { writer.int32(generationID) }
        if version >= 3 { writer.nullableString(rackID) }
        return writer.buffer
    }
}

/// A member's assignment, from the group leader through SyncGroup: the partitions it is to
/// consume, by topic, and the assignor's user data. Every version has the same fields.
public struct ConsumerProtocolAssignment: Sendable, Equatable {
    public typealias TopicPartition = ConsumerProtocolSubscription.TopicPartition

    /// The version on the wire (0 from eager assignors, 1 from cooperative ones).
    public var version: Int16
    public var assignedPartitions: [TopicPartition]
    /// The assignor's own data, or nil.
    public var userData: ByteBuffer?

    public init(version: Int16 = 0, assignedPartitions: [TopicPartition], userData: ByteBuffer? = nil) {
        self.version = version
        self.assignedPartitions = assignedPartitions
        self.userData = userData
    }

    /// Reads an assignment from SyncGroup bytes. A negative version, or bytes ending inside
    /// a field, throws.
    public init(decoding bytes: ByteBuffer) throws {
        var reader = KafkaReader(bytes, flexible: false)
        version = try reader.int16()
        guard version >= 0 else { throw KafkaCodecError.malformed("consumer protocol assignment version \(version)") }
        assignedPartitions = try reader.array(readTopicPartition)
        userData = try reader.nullableBytes()
    }

    /// The bytes for a SyncGroup assignment, with `version` as given.
    public func encoded() -> ByteBuffer {
        var writer = KafkaWriter(flexible: false)
        writer.int16(version)
        writer.array(assignedPartitions, writeTopicPartition)
        writer.nullableBytes(userData)
        return writer.buffer
    }
}

private func readTopicPartition(_ reader: inout KafkaReader) throws -> ConsumerProtocolSubscription.TopicPartition {
    ConsumerProtocolSubscription.TopicPartition(topic: try reader.string(), partitions: try reader.array { try $0.int32() })
}

private func writeTopicPartition(_ writer: inout KafkaWriter, _ item: ConsumerProtocolSubscription.TopicPartition) {
    writer.string(item.topic)
    writer.array(item.partitions) { $0.int32($1) }
}
