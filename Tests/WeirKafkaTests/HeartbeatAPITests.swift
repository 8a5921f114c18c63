import NIOCore
import Testing
import WeirKafka

@Suite struct HeartbeatAPITests {
    static func request(version: Int16) -> HeartbeatAPI.Request {
        HeartbeatAPI.Request(groupID: "orders-group", generationID: 9, memberID: "m-1", groupInstanceID: version >= 3 ? "instance-a" : nil)
    }

    static func response(version: Int16) -> HeartbeatAPI.Response {
        HeartbeatAPI.Response(throttleTimeMs: version >= 1 ? 3 : 0, errorCode: .rebalanceInProgress)
    }

    @Test(arguments: HeartbeatAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(HeartbeatAPI.self, Self.request(version: version), Self.response(version: version), version: version)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(HeartbeatAPI.firstFlexibleVersion == 4)
        try GroupWire.expectFlexibleRoundTrip(Self.request(version: 4), version: 4)
        try GroupWire.expectFlexibleRoundTrip(Self.response(version: 4), version: 4)
    }

    @Test func v3Bytes() throws {
        let request = HeartbeatAPI.Request(groupID: "g", generationID: 2, memberID: "m", groupInstanceID: nil)
        let expected: [UInt8] = GroupWire.string("g") + GroupWire.i32(2) + GroupWire.string("m") + GroupWire.nullString
        #expect(GroupWire.bytes(HeartbeatAPI.encode(request, version: 3)) == expected)
        #expect(try HeartbeatAPI.decodeRequest(GroupWire.buffer(expected), version: 3) == request)

        let response = HeartbeatAPI.Response(errorCode: .illegalGeneration)
        #expect(GroupWire.bytes(HeartbeatAPI.encode(response, version: 3)) == GroupWire.i32(0) + GroupWire.i16(22))
        #expect(GroupWire.bytes(HeartbeatAPI.encode(response, version: 0)) == GroupWire.i16(22))
    }

    @Test func v0ToV2HaveNoInstanceID() {
        let request = HeartbeatAPI.Request(groupID: "g", generationID: 2, memberID: "m", groupInstanceID: "i")
        let expected: [UInt8] = GroupWire.string("g") + GroupWire.i32(2) + GroupWire.string("m")
        for version: Int16 in 0...2 { #expect(GroupWire.bytes(HeartbeatAPI.encode(request, version: version)) == expected) }
    }

    /// v4 (not served) is v3 made flexible: compact strings (length + 1, 0 for null) and an
    /// empty tagged-field section at the end.
    @Test func flexibleV4Bytes() throws {
        let request = HeartbeatAPI.Request(groupID: "g", generationID: 2, memberID: "m", groupInstanceID: nil)
        var writer = KafkaWriter(flexible: true)
        request.write(to: &writer, version: 4)
        let expected: [UInt8] = GroupWire.compactString("g") + GroupWire.i32(2) + GroupWire.compactString("m") + [0] + [0]
        #expect(GroupWire.bytes(writer.buffer) == expected)
    }
}
