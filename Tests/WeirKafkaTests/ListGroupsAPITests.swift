import NIOCore
import Testing
import WeirKafka

@Suite struct ListGroupsAPITests {
    static func response(version: Int16) -> ListGroupsAPI.Response {
        ListGroupsAPI.Response(
            throttleTimeMs: version >= 1 ? 12 : 0, errorCode: .coordinatorLoadInProgress,
            groups: [.init(groupID: "orders-group", protocolType: "consumer"), .init(groupID: "offsets-only", protocolType: "")])
    }

    @Test(arguments: ListGroupsAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(ListGroupsAPI.self, ListGroupsAPI.Request(), Self.response(version: version), version: version)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(ListGroupsAPI.firstFlexibleVersion == 3)
        try GroupWire.expectFlexibleRoundTrip(ListGroupsAPI.Request(), version: 3)
        try GroupWire.expectFlexibleRoundTrip(Self.response(version: 3), version: 3)
    }

    @Test func bytes() throws {
        #expect(GroupWire.bytes(ListGroupsAPI.encode(ListGroupsAPI.Request(), version: 2)) == [])
        #expect(try ListGroupsAPI.decodeRequest(ByteBuffer(), version: 0) == ListGroupsAPI.Request())

        let response = ListGroupsAPI.Response(groups: [.init(groupID: "g", protocolType: "consumer")])
        let body: [UInt8] = GroupWire.i16(0) + GroupWire.i32(1) + GroupWire.string("g") + GroupWire.string("consumer")
        #expect(GroupWire.bytes(ListGroupsAPI.encode(response, version: 0)) == body)
        #expect(GroupWire.bytes(ListGroupsAPI.encode(response, version: 1)) == GroupWire.i32(0) + body)
        #expect(try ListGroupsAPI.decodeResponse(GroupWire.buffer(GroupWire.i32(0) + body), version: 2) == response)
    }
}
