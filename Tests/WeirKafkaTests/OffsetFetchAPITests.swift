import NIOCore
import Testing
import WeirKafka

@Suite struct OffsetFetchAPITests {
    static func request(version: Int16) -> OffsetFetchAPI.Request {
        OffsetFetchAPI.Request(
            groupID: "orders-group",
            topics: [.init(name: "orders", partitionIndexes: [0, 1, 5]), .init(name: "refunds", partitionIndexes: [])])
    }

    static func response(version: Int16) -> OffsetFetchAPI.Response {
        OffsetFetchAPI.Response(
            throttleTimeMs: version >= 3 ? 4 : 0,
            topics: [
                .init(
                    name: "orders",
                    partitions: [
                        .init(partitionIndex: 0, committedOffset: 100, committedLeaderEpoch: version >= 5 ? 2 : -1, metadata: "m"),
                        .init(
                            partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: nil,
                            errorCode: .unknownTopicOrPartition),
                    ])
            ], errorCode: version >= 2 ? .coordinatorLoadInProgress : .none)
    }

    @Test(arguments: OffsetFetchAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(
            OffsetFetchAPI.self, Self.request(version: version), Self.response(version: version), version: version)
    }

    @Test(arguments: 2...OffsetFetchAPI.versions.upperBound)
    func nullTopicsRoundTrip(version: Int16) throws {
        let request = OffsetFetchAPI.Request(groupID: "g", topics: nil)
        #expect(try OffsetFetchAPI.decodeRequest(OffsetFetchAPI.encode(request, version: version), version: version) == request)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(OffsetFetchAPI.firstFlexibleVersion == 6)
        try GroupWire.expectFlexibleRoundTrip(Self.request(version: 6), version: 6)
        try GroupWire.expectFlexibleRoundTrip(OffsetFetchAPI.Request(groupID: "g", topics: nil), version: 6)
        try GroupWire.expectFlexibleRoundTrip(Self.response(version: 6), version: 6)
    }

    @Test func requestBytes() throws {
        let request = OffsetFetchAPI.Request(groupID: "g", topics: [.init(name: "t", partitionIndexes: [3])])
        let expected: [UInt8] = GroupWire.string("g") + GroupWire.i32(1) + GroupWire.string("t") + GroupWire.i32(1) + GroupWire.i32(3)
        #expect(GroupWire.bytes(OffsetFetchAPI.encode(request, version: 1)) == expected)
        #expect(try OffsetFetchAPI.decodeRequest(GroupWire.buffer(expected), version: 1) == request)
    }

    /// Null topics (all topics) is a -1 count from v2; v1 cannot say it and writes an empty array.
    @Test func nullTopicsBytes() throws {
        let request = OffsetFetchAPI.Request(groupID: "g", topics: nil)
        let v2: [UInt8] = GroupWire.string("g") + GroupWire.nullArray
        #expect(GroupWire.bytes(OffsetFetchAPI.encode(request, version: 2)) == v2)
        #expect(try OffsetFetchAPI.decodeRequest(GroupWire.buffer(v2), version: 2).topics == nil)
        #expect(GroupWire.bytes(OffsetFetchAPI.encode(request, version: 1)) == GroupWire.string("g") + GroupWire.i32(0))
        #expect(try OffsetFetchAPI.decodeRequest(GroupWire.buffer(GroupWire.string("g") + GroupWire.i32(0)), version: 1).topics == [])
    }

    @Test func responseBytes() throws {
        let response = OffsetFetchAPI.Response(
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: 1, metadata: nil)])],
            errorCode: .notCoordinator)
        let partition: [UInt8] = GroupWire.i32(1) + GroupWire.string("t") + GroupWire.i32(1) + GroupWire.i32(0) + GroupWire.i64(10)
        let v5: [UInt8] = GroupWire.i32(0) + partition + GroupWire.i32(1) + GroupWire.nullString + GroupWire.i16(0) + GroupWire.i16(16)
        #expect(GroupWire.bytes(OffsetFetchAPI.encode(response, version: 5)) == v5)
        #expect(try OffsetFetchAPI.decodeResponse(GroupWire.buffer(v5), version: 5) == response)
        // v2: no throttle time, no leader epoch, but the top-level error code.
        let v2: [UInt8] = partition + GroupWire.nullString + GroupWire.i16(0) + GroupWire.i16(16)
        #expect(GroupWire.bytes(OffsetFetchAPI.encode(response, version: 2)) == v2)
        // v1: no top-level error code either.
        #expect(GroupWire.bytes(OffsetFetchAPI.encode(response, version: 1)) == partition + GroupWire.nullString + GroupWire.i16(0))
    }
}
