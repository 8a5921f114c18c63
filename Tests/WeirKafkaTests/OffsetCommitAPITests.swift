import NIOCore
import Testing
import WeirKafka

@Suite struct OffsetCommitAPITests {
    static func request(version: Int16) -> OffsetCommitAPI.Request {
        OffsetCommitAPI.Request(
            groupID: "orders-group", generationIDOrMemberEpoch: 6, memberID: "m-1",
            groupInstanceID: version >= 7 ? "instance-a" : nil, retentionTimeMs: (2...4).contains(version) ? 86_400_000 : -1,
            topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(
                            partitionIndex: 0, committedOffset: 1234, committedLeaderEpoch: version >= 6 ? 3 : -1,
                            committedMetadata: "meta"),
                        .init(partitionIndex: 2, committedOffset: 99, committedLeaderEpoch: version >= 6 ? 3 : -1, committedMetadata: nil),
                    ]),
                .init(name: "refunds", partitions: []),
            ])
    }

    static func response(version: Int16) -> OffsetCommitAPI.Response {
        OffsetCommitAPI.Response(
            throttleTimeMs: version >= 3 ? 8 : 0,
            topics: [
                .init(name: "orders", partitions: [.init(partitionIndex: 0), .init(partitionIndex: 2, errorCode: .offsetMetadataTooLarge)])
            ])
    }

    @Test(arguments: OffsetCommitAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(
            OffsetCommitAPI.self, Self.request(version: version), Self.response(version: version), version: version)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(OffsetCommitAPI.firstFlexibleVersion == 8)
        try GroupWire.expectFlexibleRoundTrip(Self.request(version: 8), version: 8)
        try GroupWire.expectFlexibleRoundTrip(Self.response(version: 8), version: 8)
    }

    /// v2 (librdkafka 2.0.2's version): retention time, no leader epoch, no instance id.
    @Test func v2RequestBytes() throws {
        let request = OffsetCommitAPI.Request(
            groupID: "g", generationIDOrMemberEpoch: -1, memberID: "", retentionTimeMs: -1,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, committedOffset: 42, committedMetadata: "")])])
        let expected: [UInt8] =
            GroupWire.string("g") + GroupWire.i32(-1) + GroupWire.string("") + GroupWire.i64(-1) + GroupWire.i32(1)
            + GroupWire.string("t") + GroupWire.i32(1) + GroupWire.i32(1) + GroupWire.i64(42) + GroupWire.string("")
        #expect(GroupWire.bytes(OffsetCommitAPI.encode(request, version: 2)) == expected)
        #expect(try OffsetCommitAPI.decodeRequest(GroupWire.buffer(expected), version: 2) == request)
    }

    /// v7: no retention time (gone from v5), the leader epoch (v6+) and the instance id (v7+).
    @Test func v7RequestBytes() throws {
        let request = OffsetCommitAPI.Request(
            groupID: "g", generationIDOrMemberEpoch: 3, memberID: "m", groupInstanceID: nil, retentionTimeMs: 5000,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: 2)])])
        let expected: [UInt8] =
            GroupWire.string("g") + GroupWire.i32(3) + GroupWire.string("m") + GroupWire.nullString + GroupWire.i32(1)
            + GroupWire.string("t") + GroupWire.i32(1) + GroupWire.i32(0) + GroupWire.i64(7) + GroupWire.i32(2) + GroupWire.nullString
        #expect(GroupWire.bytes(OffsetCommitAPI.encode(request, version: 7)) == expected)
        var decoded = try OffsetCommitAPI.decodeRequest(GroupWire.buffer(expected), version: 7)
        #expect(decoded.retentionTimeMs == -1)
        decoded.retentionTimeMs = 5000
        #expect(decoded == request)
    }

    @Test func responseBytes() throws {
        let response = OffsetCommitAPI.Response(topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, errorCode: .illegalGeneration)])
        ])
        let body: [UInt8] = GroupWire.i32(1) + GroupWire.string("t") + GroupWire.i32(1) + GroupWire.i32(0) + GroupWire.i16(22)
        #expect(GroupWire.bytes(OffsetCommitAPI.encode(response, version: 2)) == body)
        #expect(GroupWire.bytes(OffsetCommitAPI.encode(response, version: 3)) == GroupWire.i32(0) + body)
        #expect(try OffsetCommitAPI.decodeResponse(GroupWire.buffer(GroupWire.i32(0) + body), version: 3) == response)
    }

    @Test func refusesV1() {
        #expect(throws: KafkaCodecError.unsupportedVersion(apiKey: 8, version: 1)) {
            try OffsetCommitAPI.decodeRequest(ByteBuffer(), version: 1)
        }
    }
}
