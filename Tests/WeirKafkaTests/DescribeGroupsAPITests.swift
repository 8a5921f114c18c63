import NIOCore
import Testing
import WeirKafka

@Suite struct DescribeGroupsAPITests {
    static func request(version: Int16) -> DescribeGroupsAPI.Request {
        DescribeGroupsAPI.Request(groups: ["orders-group", "audit"], includeAuthorizedOperations: version >= 3)
    }

    static func response(version: Int16) -> DescribeGroupsAPI.Response {
        DescribeGroupsAPI.Response(
            throttleTimeMs: version >= 1 ? 6 : 0,
            groups: [
                .init(
                    errorCode: .none, groupID: "orders-group", groupState: "Stable", protocolType: "consumer", protocolData: "range",
                    members: [
                        .init(
                            memberID: "m-1", groupInstanceID: version >= 4 ? "instance-a" : nil, clientID: "rdkafka",
                            clientHost: "/10.0.0.5", memberMetadata: GroupWire.buffer([0, 1]),
                            memberAssignment: GroupWire.buffer([0, 0, 2]))
                    ], authorizedOperations: version >= 3 ? 0x0f00 : DescribeGroupsAPI.authorizedOperationsOmitted),
                .init(
                    errorCode: .groupIDNotFound, groupID: "audit", groupState: "Dead", protocolType: "", protocolData: "", members: [],
                    authorizedOperations: version >= 3 ? 0 : DescribeGroupsAPI.authorizedOperationsOmitted),
            ])
    }

    @Test(arguments: DescribeGroupsAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(
            DescribeGroupsAPI.self, Self.request(version: version), Self.response(version: version), version: version)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(DescribeGroupsAPI.firstFlexibleVersion == 5)
        try GroupWire.expectFlexibleRoundTrip(Self.request(version: 5), version: 5)
        try GroupWire.expectFlexibleRoundTrip(Self.response(version: 5), version: 5)
    }

    @Test func requestBytes() throws {
        let request = DescribeGroupsAPI.Request(groups: ["g"], includeAuthorizedOperations: true)
        #expect(GroupWire.bytes(DescribeGroupsAPI.encode(request, version: 3)) == GroupWire.i32(1) + GroupWire.string("g") + [1])
        #expect(GroupWire.bytes(DescribeGroupsAPI.encode(request, version: 2)) == GroupWire.i32(1) + GroupWire.string("g"))
        #expect(
            try DescribeGroupsAPI.decodeRequest(GroupWire.buffer(GroupWire.i32(1) + GroupWire.string("g")), version: 2)
                .includeAuthorizedOperations == false)
    }

    @Test func v4ResponseBytes() throws {
        let response = DescribeGroupsAPI.Response(groups: [
            .init(
                groupID: "g", groupState: "Stable", protocolType: "consumer", protocolData: "range",
                members: [
                    .init(
                        memberID: "m", groupInstanceID: nil, clientID: "c", clientHost: "h", memberMetadata: GroupWire.buffer([1]),
                        memberAssignment: GroupWire.buffer([]))
                ], authorizedOperations: 8)
        ])
        let expected: [UInt8] =
            GroupWire.i32(0) + GroupWire.i32(1) + GroupWire.i16(0) + GroupWire.string("g") + GroupWire.string("Stable")
            + GroupWire.string("consumer") + GroupWire.string("range") + GroupWire.i32(1) + GroupWire.string("m") + GroupWire.nullString
            + GroupWire.string("c") + GroupWire.string("h") + GroupWire.bytesField([1]) + GroupWire.bytesField([]) + GroupWire.i32(8)
        #expect(GroupWire.bytes(DescribeGroupsAPI.encode(response, version: 4)) == expected)
        #expect(try DescribeGroupsAPI.decodeResponse(GroupWire.buffer(expected), version: 4) == response)
    }

    /// v0: no throttle time, no instance id, no authorized operations (decoded as Kafka's default).
    @Test func v0ResponseBytes() throws {
        let response = DescribeGroupsAPI.Response(groups: [
            .init(
                groupID: "g", groupState: "Empty", protocolType: "", protocolData: "",
                members: [.init(memberID: "m", clientID: "c", clientHost: "h")])
        ])
        let expected: [UInt8] =
            GroupWire.i32(1) + GroupWire.i16(0) + GroupWire.string("g") + GroupWire.string("Empty") + GroupWire.string("")
            + GroupWire.string("") + GroupWire.i32(1) + GroupWire.string("m") + GroupWire.string("c") + GroupWire.string("h")
            + GroupWire.bytesField([]) + GroupWire.bytesField([])
        #expect(GroupWire.bytes(DescribeGroupsAPI.encode(response, version: 0)) == expected)
        let decoded = try DescribeGroupsAPI.decodeResponse(GroupWire.buffer(expected), version: 0)
        #expect(decoded == response)
        #expect(decoded.groups.first?.authorizedOperations == Int32.min)
    }
}
