import NIOCore
import Testing
import WeirKafka

@Suite struct SaslHandshakeAPITests {
    @Test("a request and a response decode to what was encoded", arguments: SaslHandshakeAPI.versions)
    func roundTrips(version: Int16) throws {
        let request = SaslHandshakeAPI.Request(mechanism: "SCRAM-SHA-512")
        #expect(try SaslHandshakeAPI.decodeRequest(SaslHandshakeAPI.encode(request, version: version), version: version) == request)
        let response = SaslHandshakeAPI.Response(errorCode: .unsupportedSASLMechanism, mechanisms: ["PLAIN", "SCRAM-SHA-256"])
        #expect(try SaslHandshakeAPI.decodeResponse(SaslHandshakeAPI.encode(response, version: version), version: version) == response)
    }

    @Test("never flexible")
    func neverFlexible() {
        #expect(SaslHandshakeAPI.versions.allSatisfy { !SaslHandshakeAPI.isFlexible($0) })
    }

    @Test("a request and a response are laid out as Kafka's definitions say", arguments: SaslHandshakeAPI.versions)
    func bytes(version: Int16) throws {
        let request = SaslHandshakeAPI.Request(mechanism: "PLAIN")
        let requestBytes: [UInt8] = [0, 5, 0x50, 0x4c, 0x41, 0x49, 0x4e]  // "PLAIN"
        #expect(Array(SaslHandshakeAPI.encode(request, version: version).readableBytesView) == requestBytes)
        #expect(try SaslHandshakeAPI.decodeRequest(ByteBuffer(bytes: requestBytes), version: version) == request)

        let response = SaslHandshakeAPI.Response(errorCode: .unsupportedSASLMechanism, mechanisms: ["PLAIN"])
        let responseBytes: [UInt8] = [
            0, 33,  // UNSUPPORTED_SASL_MECHANISM
            0, 0, 0, 1,  // mechanisms: 1
            0, 5, 0x50, 0x4c, 0x41, 0x49, 0x4e,  // "PLAIN"
        ]
        #expect(Array(SaslHandshakeAPI.encode(response, version: version).readableBytesView) == responseBytes)
        #expect(try SaslHandshakeAPI.decodeResponse(ByteBuffer(bytes: responseBytes), version: version) == response)
    }
}
