import NIOCore
import Testing
import WeirKafka

@Suite struct JoinGroupAPITests {
    static func request(version: Int16) -> JoinGroupAPI.Request {
        JoinGroupAPI.Request(
            groupID: "orders-group", sessionTimeoutMs: 45000, rebalanceTimeoutMs: version >= 1 ? 300_000 : -1,
            memberID: "rdkafka-1234", groupInstanceID: version >= 5 ? "instance-a" : nil, protocolType: "consumer",
            protocols: [
                .init(name: "range", metadata: GroupWire.buffer([0, 1, 2])),
                .init(name: "roundrobin", metadata: GroupWire.buffer([9])),
            ])
    }

    static func response(version: Int16) -> JoinGroupAPI.Response {
        JoinGroupAPI.Response(
            throttleTimeMs: version >= 2 ? 5 : 0, errorCode: .memberIDRequired, generationID: 4, protocolName: "range",
            leader: "rdkafka-1234", memberID: "rdkafka-5678",
            members: [
                .init(memberID: "rdkafka-1234", groupInstanceID: version >= 5 ? "instance-a" : nil, metadata: GroupWire.buffer([1])),
                .init(memberID: "rdkafka-5678", metadata: GroupWire.buffer([2, 3])),
            ])
    }

    @Test(arguments: JoinGroupAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(JoinGroupAPI.self, Self.request(version: version), Self.response(version: version), version: version)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(JoinGroupAPI.firstFlexibleVersion == 6)
        try GroupWire.expectFlexibleRoundTrip(Self.request(version: 6), version: 6)
        try GroupWire.expectFlexibleRoundTrip(Self.response(version: 6), version: 6)
    }

    @Test func v5RequestBytes() throws {
        let request = JoinGroupAPI.Request(
            groupID: "g", sessionTimeoutMs: 10000, rebalanceTimeoutMs: 300_000, memberID: "", groupInstanceID: nil,
            protocolType: "consumer", protocols: [.init(name: "range", metadata: GroupWire.buffer([0xab]))])
        let expected: [UInt8] =
            GroupWire.string("g") + GroupWire.i32(10000) + GroupWire.i32(300_000) + GroupWire.string("")
            + GroupWire.nullString + GroupWire.string("consumer") + GroupWire.i32(1) + GroupWire.string("range")
            + GroupWire.bytesField([0xab])
        #expect(GroupWire.bytes(JoinGroupAPI.encode(request, version: 5)) == expected)
        #expect(try JoinGroupAPI.decodeRequest(GroupWire.buffer(expected), version: 5) == request)
    }

    @Test func v0RequestHasNoRebalanceTimeout() throws {
        let request = JoinGroupAPI.Request(groupID: "g", sessionTimeoutMs: 30000, protocols: [])
        let expected: [UInt8] =
            GroupWire.string("g") + GroupWire.i32(30000) + GroupWire.string("") + GroupWire.string("consumer") + GroupWire.i32(0)
        #expect(GroupWire.bytes(JoinGroupAPI.encode(request, version: 0)) == expected)
        #expect(try JoinGroupAPI.decodeRequest(GroupWire.buffer(expected), version: 0).rebalanceTimeoutMs == -1)
    }

    @Test func v5ResponseBytes() throws {
        let response = JoinGroupAPI.Response(
            generationID: 1, protocolName: "range", leader: "m1", memberID: "m1",
            members: [.init(memberID: "m1", groupInstanceID: "i1", metadata: GroupWire.buffer([7]))])
        let expected: [UInt8] =
            GroupWire.i32(0) + GroupWire.i16(0) + GroupWire.i32(1) + GroupWire.string("range") + GroupWire.string("m1")
            + GroupWire.string("m1") + GroupWire.i32(1) + GroupWire.string("m1") + GroupWire.string("i1") + GroupWire.bytesField([7])
        #expect(GroupWire.bytes(JoinGroupAPI.encode(response, version: 5)) == expected)
        #expect(try JoinGroupAPI.decodeResponse(GroupWire.buffer(expected), version: 5) == response)
    }

    /// The version steps in between: the instance id only from v5, the throttle time from v2.
    @Test func v1ToV4Bytes() throws {
        let request = JoinGroupAPI.Request(
            groupID: "g", sessionTimeoutMs: 1, rebalanceTimeoutMs: 2, memberID: "m", groupInstanceID: "i", protocols: [])
        let v1: [UInt8] =
            GroupWire.string("g") + GroupWire.i32(1) + GroupWire.i32(2) + GroupWire.string("m") + GroupWire.string("consumer")
            + GroupWire.i32(0)
        for version: Int16 in 1...4 { #expect(GroupWire.bytes(JoinGroupAPI.encode(request, version: version)) == v1) }

        let response = JoinGroupAPI.Response(throttleTimeMs: 9, generationID: 3, protocolName: "p", leader: "l", memberID: "m")
        let body: [UInt8] =
            GroupWire.i16(0) + GroupWire.i32(3) + GroupWire.string("p") + GroupWire.string("l") + GroupWire.string("m") + GroupWire.i32(0)
        #expect(GroupWire.bytes(JoinGroupAPI.encode(response, version: 1)) == body)
        #expect(GroupWire.bytes(JoinGroupAPI.encode(response, version: 2)) == GroupWire.i32(9) + body)
    }

    @Test func nilProtocolNameIsWrittenEmpty() throws {
        let response = JoinGroupAPI.Response(errorCode: .inconsistentGroupProtocol, protocolName: nil, leader: "", memberID: "")
        let decoded = try JoinGroupAPI.decodeResponse(JoinGroupAPI.encode(response, version: 1), version: 1)
        #expect(decoded.protocolName == "")
        #expect(decoded.generationID == -1)
    }
}
