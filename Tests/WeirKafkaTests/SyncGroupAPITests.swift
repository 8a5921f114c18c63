import NIOCore
import Testing
import WeirKafka

@Suite struct SyncGroupAPITests {
    static func request(version: Int16) -> SyncGroupAPI.Request {
        SyncGroupAPI.Request(
            groupID: "orders-group", generationID: 4, memberID: "m-1", groupInstanceID: version >= 3 ? "instance-a" : nil,
            assignments: [
                .init(memberID: "m-1", assignment: GroupWire.buffer([0, 0, 0, 0, 0, 1])),
                .init(memberID: "m-2", assignment: GroupWire.buffer([0, 1])),
            ])
    }

    static func response(version: Int16) -> SyncGroupAPI.Response {
        SyncGroupAPI.Response(
            throttleTimeMs: version >= 1 ? 10 : 0, errorCode: .rebalanceInProgress, assignment: GroupWire.buffer([0, 0, 0xff]))
    }

    @Test(arguments: SyncGroupAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(SyncGroupAPI.self, Self.request(version: version), Self.response(version: version), version: version)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(SyncGroupAPI.firstFlexibleVersion == 4)
        try GroupWire.expectFlexibleRoundTrip(Self.request(version: 4), version: 4)
        try GroupWire.expectFlexibleRoundTrip(Self.response(version: 4), version: 4)
    }

    @Test func v3RequestBytes() throws {
        let request = SyncGroupAPI.Request(
            groupID: "g", generationID: 2, memberID: "m", groupInstanceID: "i",
            assignments: [.init(memberID: "m", assignment: GroupWire.buffer([1, 2]))])
        let expected: [UInt8] =
            GroupWire.string("g") + GroupWire.i32(2) + GroupWire.string("m") + GroupWire.string("i") + GroupWire.i32(1)
            + GroupWire.string("m") + GroupWire.bytesField([1, 2])
        #expect(GroupWire.bytes(SyncGroupAPI.encode(request, version: 3)) == expected)
        #expect(try SyncGroupAPI.decodeRequest(GroupWire.buffer(expected), version: 3) == request)
    }

    @Test func followerRequestV0Bytes() throws {
        let request = SyncGroupAPI.Request(groupID: "g", generationID: 1, memberID: "m")
        let expected: [UInt8] = GroupWire.string("g") + GroupWire.i32(1) + GroupWire.string("m") + GroupWire.i32(0)
        #expect(GroupWire.bytes(SyncGroupAPI.encode(request, version: 0)) == expected)
    }

    @Test func responseBytes() throws {
        let response = SyncGroupAPI.Response(assignment: GroupWire.buffer([5]))
        #expect(GroupWire.bytes(SyncGroupAPI.encode(response, version: 0)) == GroupWire.i16(0) + GroupWire.bytesField([5]))
        let v1: [UInt8] = GroupWire.i32(0) + GroupWire.i16(0) + GroupWire.bytesField([5])
        #expect(GroupWire.bytes(SyncGroupAPI.encode(response, version: 1)) == v1)
        #expect(try SyncGroupAPI.decodeResponse(GroupWire.buffer(v1), version: 1) == response)
    }
}
