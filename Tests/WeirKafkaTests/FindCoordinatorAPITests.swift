import NIOCore
import Testing
import WeirKafka

@Suite struct FindCoordinatorAPITests {
    static func request(version: Int16) -> FindCoordinatorAPI.Request {
        FindCoordinatorAPI.Request(key: "orders-group", keyType: version >= 1 ? FindCoordinatorAPI.transactionKeyType : 0)
    }

    static func response(version: Int16) -> FindCoordinatorAPI.Response {
        FindCoordinatorAPI.Response(
            throttleTimeMs: version >= 1 ? 25 : 0, errorCode: .coordinatorNotAvailable,
            errorMessage: version >= 1 ? "loading" : nil, nodeID: 3, host: "broker-3.local", port: 19092)
    }

    @Test(arguments: FindCoordinatorAPI.versions)
    func roundTrips(version: Int16) throws {
        try GroupWire.expectRoundTrip(
            FindCoordinatorAPI.self, Self.request(version: version), Self.response(version: version), version: version)
    }

    @Test func firstFlexibleVersionRoundTrips() throws {
        #expect(FindCoordinatorAPI.firstFlexibleVersion == 3)
        try GroupWire.expectFlexibleRoundTrip(Self.request(version: 3), version: 3)
        try GroupWire.expectFlexibleRoundTrip(Self.response(version: 3), version: 3)
    }

    @Test func v0RequestIsTheKeyOnly() throws {
        let bytes = FindCoordinatorAPI.encode(FindCoordinatorAPI.Request(key: "g1"), version: 0)
        #expect(GroupWire.bytes(bytes) == GroupWire.string("g1"))
        #expect(try FindCoordinatorAPI.decodeRequest(bytes, version: 0) == FindCoordinatorAPI.Request(key: "g1", keyType: 0))
    }

    @Test func v1Bytes() throws {
        let request = FindCoordinatorAPI.Request(key: "g1", keyType: 1)
        #expect(GroupWire.bytes(FindCoordinatorAPI.encode(request, version: 1)) == GroupWire.string("g1") + [1])

        let response = FindCoordinatorAPI.Response(nodeID: 1, host: "h", port: 9092)
        let expected: [UInt8] =
            GroupWire.i32(0) + GroupWire.i16(0) + GroupWire.nullString + GroupWire.i32(1) + GroupWire.string("h")
            + GroupWire.i32(9092)
        #expect(GroupWire.bytes(FindCoordinatorAPI.encode(response, version: 1)) == expected)
        #expect(try FindCoordinatorAPI.decodeResponse(GroupWire.buffer(expected), version: 1) == response)
    }

    @Test func v0ResponseHasNoThrottleOrMessage() throws {
        let response = FindCoordinatorAPI.Response(errorCode: .notCoordinator, nodeID: 7, host: "h", port: 1)
        let expected: [UInt8] = GroupWire.i16(16) + GroupWire.i32(7) + GroupWire.string("h") + GroupWire.i32(1)
        #expect(GroupWire.bytes(FindCoordinatorAPI.encode(response, version: 0)) == expected)
    }

    @Test func refusesUnservedVersions() {
        #expect(throws: KafkaCodecError.unsupportedVersion(apiKey: 10, version: 3)) {
            try FindCoordinatorAPI.decodeRequest(GroupWire.buffer(GroupWire.string("g1") + [0, 0]), version: 3)
        }
    }
}
