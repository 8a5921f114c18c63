import NIOCore
import Testing
import WeirKafka

@Suite struct LeaveGroupAPITests {
    static func request(version: Int16) -> LeaveGroupAPI.Request {
        version >= 3
            ? LeaveGroupAPI.Request(
                groupID: "orders-group",
                members: [.init(memberID: "m-1", groupInstanceID: "instance-a"), .init(memberID: "m-2", groupInstanceID: nil)])
            : LeaveGroupAPI.Request(groupID: "orders-group", memberID: "m-1")
    }

    static func response(version: Int16) -> LeaveGroupAPI.Response {
        LeaveGroupAPI.Response(
            throttleTimeMs: version >= 1 ? 2 : 0, errorCode: .unknownMemberID,
            members: version >= 3
                ? [
                    .init(memberID: "m-1", groupInstanceID: "instance-a", errorCode: .fencedInstanceID),
                    .init(memberID: "m-2", groupInstanceID: nil, errorCode: .none),
                ] : [])
    }

    @Test(arguments: LeaveGroupAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(LeaveGroupAPI.self, Self.request(version: version), Self.response(version: version), version: version)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(LeaveGroupAPI.firstFlexibleVersion == 4)
        try GroupWire.expectFlexibleRoundTrip(Self.request(version: 4), version: 4)
        try GroupWire.expectFlexibleRoundTrip(Self.response(version: 4), version: 4)
    }

    @Test func v1Bytes() throws {
        let request = LeaveGroupAPI.Request(groupID: "g", memberID: "m")
        let expected: [UInt8] = GroupWire.string("g") + GroupWire.string("m")
        #expect(GroupWire.bytes(LeaveGroupAPI.encode(request, version: 1)) == expected)
        #expect(try LeaveGroupAPI.decodeRequest(GroupWire.buffer(expected), version: 1) == request)
        #expect(GroupWire.bytes(LeaveGroupAPI.encode(LeaveGroupAPI.Response(), version: 1)) == GroupWire.i32(0) + GroupWire.i16(0))
    }

    /// v3 drops the single member id for an array of members.
    @Test func v3Bytes() throws {
        let request = LeaveGroupAPI.Request(groupID: "g", members: [.init(memberID: "m", groupInstanceID: "i")])
        let expected: [UInt8] = GroupWire.string("g") + GroupWire.i32(1) + GroupWire.string("m") + GroupWire.string("i")
        #expect(GroupWire.bytes(LeaveGroupAPI.encode(request, version: 3)) == expected)
        #expect(try LeaveGroupAPI.decodeRequest(GroupWire.buffer(expected), version: 3) == request)

        let response = LeaveGroupAPI.Response(members: [.init(memberID: "m", groupInstanceID: nil, errorCode: .unknownMemberID)])
        let expectedResponse: [UInt8] =
            GroupWire.i32(0) + GroupWire.i16(0) + GroupWire.i32(1) + GroupWire.string("m") + GroupWire.nullString + GroupWire.i16(25)
        #expect(GroupWire.bytes(LeaveGroupAPI.encode(response, version: 3)) == expectedResponse)
        #expect(try LeaveGroupAPI.decodeResponse(GroupWire.buffer(expectedResponse), version: 3) == response)
    }

    @Test func leavingMembersWhateverTheVersion() {
        #expect(LeaveGroupAPI.Request(groupID: "g", memberID: "m").leavingMembers == [.init(memberID: "m")])
        let members: [LeaveGroupAPI.Request.MemberIdentity] = [.init(memberID: "a"), .init(memberID: "b", groupInstanceID: "i")]
        #expect(LeaveGroupAPI.Request(groupID: "g", members: members).leavingMembers == members)
    }
}
