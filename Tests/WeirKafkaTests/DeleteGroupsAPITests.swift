import NIOCore
import Testing
import WeirKafka

@Suite struct DeleteGroupsAPITests {
    static let request = DeleteGroupsAPI.Request(groupsNames: ["orders-group", "audit"])
    static let response = DeleteGroupsAPI.Response(
        throttleTimeMs: 20, results: [.init(groupID: "orders-group", errorCode: .nonEmptyGroup), .init(groupID: "audit")])

    @Test(arguments: DeleteGroupsAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(DeleteGroupsAPI.self, Self.request, Self.response, version: version)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(DeleteGroupsAPI.firstFlexibleVersion == 2)
        try GroupWire.expectFlexibleRoundTrip(Self.request, version: 2)
        try GroupWire.expectFlexibleRoundTrip(Self.response, version: 2)
    }

    /// The throttle time is in v0 already.
    @Test func bytes() throws {
        let request = DeleteGroupsAPI.Request(groupsNames: ["g"])
        #expect(GroupWire.bytes(DeleteGroupsAPI.encode(request, version: 0)) == GroupWire.i32(1) + GroupWire.string("g"))

        let response = DeleteGroupsAPI.Response(results: [.init(groupID: "g", errorCode: .groupIDNotFound)])
        let expected: [UInt8] = GroupWire.i32(0) + GroupWire.i32(1) + GroupWire.string("g") + GroupWire.i16(69)
        #expect(GroupWire.bytes(DeleteGroupsAPI.encode(response, version: 0)) == expected)
        #expect(try DeleteGroupsAPI.decodeResponse(GroupWire.buffer(expected), version: 1) == response)
    }
}
