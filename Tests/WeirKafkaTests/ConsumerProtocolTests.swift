import NIOCore
import Testing
import WeirKafka

@Suite struct ConsumerProtocolTests {
    typealias TopicPartition = ConsumerProtocolSubscription.TopicPartition

    /// What librdkafka 2.0.2 puts in JoinGroup metadata (`rd_kafka_consumer_protocol_member_metadata_new`):
    /// version 1, the topics, empty (not null) user data, then the owned partitions.
    @Test func decodesLibrdkafkaV1Subscription() throws {
        let bytes: [UInt8] =
            [0x00, 0x01]  // version 1
            + [0x00, 0x00, 0x00, 0x02]  // 2 topics
            + [0x00, 0x06] + Array("orders".utf8)
            + [0x00, 0x07] + Array("refunds".utf8)
            + [0x00, 0x00, 0x00, 0x00]  // user data: 0 bytes
            + [0x00, 0x00, 0x00, 0x01]  // 1 owned topic
            + [0x00, 0x06] + Array("orders".utf8)
            + [0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]  // partitions [0, 3]
        let subscription = try ConsumerProtocolSubscription(decoding: GroupWire.buffer(bytes))
        #expect(subscription.version == 1)
        #expect(subscription.topics == ["orders", "refunds"])
        #expect(subscription.userData == ByteBuffer())
        #expect(subscription.ownedPartitions == [TopicPartition(topic: "orders", partitions: [0, 3])])
        #expect(subscription.generationID == -1)
        #expect(subscription.rackID == nil)
        #expect(GroupWire.bytes(subscription.encoded()) == bytes)
    }

    @Test(arguments: Int16(0)...3)
    func subscriptionRoundTrips(version: Int16) throws {
        let subscription = ConsumerProtocolSubscription(
            version: version, topics: ["orders", "refunds"], userData: GroupWire.buffer([1, 2, 3]),
            ownedPartitions: version >= 1 ? [.init(topic: "orders", partitions: [1, 4]), .init(topic: "refunds", partitions: [])] : [],
            generationID: version >= 2 ? 12 : -1, rackID: version >= 3 ? "rack-b" : nil)
        #expect(try ConsumerProtocolSubscription(decoding: subscription.encoded()) == subscription)
    }

    @Test func v3SubscriptionBytes() throws {
        let subscription = ConsumerProtocolSubscription(
            version: 3, topics: ["t"], userData: nil, ownedPartitions: [], generationID: 5, rackID: "r")
        let expected: [UInt8] =
            GroupWire.i16(3) + GroupWire.i32(1) + GroupWire.string("t") + GroupWire.i32(-1) + GroupWire.i32(0) + GroupWire.i32(5)
            + GroupWire.string("r")
        #expect(GroupWire.bytes(subscription.encoded()) == expected)
        #expect(try ConsumerProtocolSubscription(decoding: GroupWire.buffer(expected)) == subscription)
    }

    /// kafka-python and aiokafka write v0: the topics and user data only.
    @Test func v0SubscriptionBytes() throws {
        let expected: [UInt8] = GroupWire.i16(0) + GroupWire.i32(1) + GroupWire.string("t") + GroupWire.i32(2) + [7, 8]
        let subscription = try ConsumerProtocolSubscription(decoding: GroupWire.buffer(expected))
        #expect(subscription == ConsumerProtocolSubscription(version: 0, topics: ["t"], userData: GroupWire.buffer([7, 8])))
        #expect(GroupWire.bytes(subscription.encoded()) == expected)
    }

    /// A newer client's version: the v3 fields are read and what follows them is ignored.
    @Test func futureSubscriptionVersionReadsKnownFields() throws {
        let bytes: [UInt8] =
            GroupWire.i16(7) + GroupWire.i32(1) + GroupWire.string("t") + GroupWire.i32(-1) + GroupWire.i32(1)
            + GroupWire.string("t") + GroupWire.i32(1) + GroupWire.i32(0) + GroupWire.i32(9) + GroupWire.nullString
            + [0xde, 0xad, 0xbe, 0xef]  // a field Kafka may add after RackId
        let subscription = try ConsumerProtocolSubscription(decoding: GroupWire.buffer(bytes))
        #expect(
            subscription
                == ConsumerProtocolSubscription(
                    version: 7, topics: ["t"], userData: nil, ownedPartitions: [.init(topic: "t", partitions: [0])], generationID: 9,
                    rackID: nil))
    }

    @Test func bytesAfterAnOldVersionsFieldsAreIgnored() throws {
        let bytes: [UInt8] = GroupWire.i16(0) + GroupWire.i32(0) + GroupWire.i32(0) + [1, 2, 3]
        let subscription = try ConsumerProtocolSubscription(decoding: GroupWire.buffer(bytes))
        #expect(subscription == ConsumerProtocolSubscription(version: 0, topics: [], userData: ByteBuffer()))
    }

    @Test func malformedSubscriptionsThrow() {
        #expect(throws: KafkaCodecError.self) {
            try ConsumerProtocolSubscription(decoding: GroupWire.buffer(GroupWire.i16(-1) + GroupWire.i32(0) + GroupWire.i32(-1)))
        }
        // v1 says owned partitions follow, but the bytes end after the user data.
        #expect(throws: KafkaCodecError.self) {
            try ConsumerProtocolSubscription(decoding: GroupWire.buffer(GroupWire.i16(1) + GroupWire.i32(0) + GroupWire.i32(-1)))
        }
        #expect(throws: KafkaCodecError.self) { try ConsumerProtocolSubscription(decoding: GroupWire.buffer([0])) }
    }

    @Test(arguments: Int16(0)...1)
    func assignmentBytes(version: Int16) throws {
        let assignment = ConsumerProtocolAssignment(
            version: version, assignedPartitions: [.init(topic: "orders", partitions: [0, 2]), .init(topic: "t", partitions: [1])],
            userData: version == 1 ? GroupWire.buffer([0xaa]) : nil)
        let expected: [UInt8] =
            GroupWire.i16(version) + GroupWire.i32(2) + GroupWire.string("orders") + GroupWire.i32(2) + GroupWire.i32(0)
            + GroupWire.i32(2) + GroupWire.string("t") + GroupWire.i32(1) + GroupWire.i32(1)
            + (version == 1 ? GroupWire.bytesField([0xaa]) : GroupWire.nullArray)
        #expect(GroupWire.bytes(assignment.encoded()) == expected)
        #expect(try ConsumerProtocolAssignment(decoding: GroupWire.buffer(expected)) == assignment)
    }

    @Test func futureAssignmentVersionIgnoresTrailingBytes() throws {
        let bytes: [UInt8] = GroupWire.i16(3) + GroupWire.i32(0) + GroupWire.bytesField([]) + [0, 0, 0, 1]
        #expect(
            try ConsumerProtocolAssignment(decoding: GroupWire.buffer(bytes))
                == ConsumerProtocolAssignment(version: 3, assignedPartitions: [], userData: ByteBuffer()))
    }

    @Test func malformedAssignmentsThrow() {
        #expect(throws: KafkaCodecError.self) { try ConsumerProtocolAssignment(decoding: ByteBuffer()) }
        #expect(throws: KafkaCodecError.self) {
            try ConsumerProtocolAssignment(decoding: GroupWire.buffer(GroupWire.i16(-2) + GroupWire.i32(0) + GroupWire.i32(-1)))
        }
        // The user data field is missing.
        #expect(throws: KafkaCodecError.self) {
            try ConsumerProtocolAssignment(decoding: GroupWire.buffer(GroupWire.i16(0) + GroupWire.i32(0)))
        }
    }
}
