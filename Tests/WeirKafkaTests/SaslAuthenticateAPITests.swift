import NIOCore
import Testing
import WeirKafka

@Suite struct SaslAuthenticateAPITests {
    /// PLAIN's token: authorization id, user and password, each after a NUL.
    static let plain = ByteBuffer(bytes: Array("\u{0}alice\u{0}secret".utf8))

    @Test("a request decodes to what was encoded", arguments: SaslAuthenticateAPI.versions)
    func requestRoundTrips(version: Int16) throws {
        let request = SaslAuthenticateAPI.Request(authBytes: Self.plain)
        let bytes = SaslAuthenticateAPI.encode(request, version: version)
        #expect(try SaslAuthenticateAPI.decodeRequest(bytes, version: version) == request)
    }

    @Test("a response decodes to what was encoded", arguments: SaslAuthenticateAPI.versions)
    func responseRoundTrips(version: Int16) throws {
        let response = SaslAuthenticateAPI.Response(
            errorCode: .saslAuthenticationFailed, errorMessage: "bad password", authBytes: ByteBuffer(bytes: [1, 2, 3]),
            sessionLifetimeMs: version >= 1 ? 3_600_000 : 0)
        let bytes = SaslAuthenticateAPI.encode(response, version: version)
        #expect(try SaslAuthenticateAPI.decodeResponse(bytes, version: version) == response)
    }

    @Test("a v0 request and a v1 response are laid out as Kafka's definitions say")
    func bytes() throws {
        let request = SaslAuthenticateAPI.Request(authBytes: ByteBuffer(bytes: [0, 0x75, 0, 0x70]))
        let requestBytes: [UInt8] = [0, 0, 0, 4, 0, 0x75, 0, 0x70]  // int32 length, then the bytes
        #expect(Array(SaslAuthenticateAPI.encode(request, version: 0).readableBytesView) == requestBytes)
        #expect(try SaslAuthenticateAPI.decodeRequest(ByteBuffer(bytes: requestBytes), version: 0) == request)

        let response = SaslAuthenticateAPI.Response(
            errorCode: .saslAuthenticationFailed, errorMessage: "no", sessionLifetimeMs: 3_600_000)
        let responseBytes: [UInt8] = [
            0, 58,  // SASL_AUTHENTICATION_FAILED
            0, 2, 0x6e, 0x6f,  // errorMessage "no"
            0, 0, 0, 0,  // authBytes: empty
            0, 0, 0, 0, 0, 0x36, 0xee, 0x80,  // sessionLifetimeMs 3600000 (v1+)
        ]
        #expect(Array(SaslAuthenticateAPI.encode(response, version: 1).readableBytesView) == responseBytes)
        #expect(try SaslAuthenticateAPI.decodeResponse(ByteBuffer(bytes: responseBytes), version: 1) == response)
        #expect(Array(SaslAuthenticateAPI.encode(response, version: 0).readableBytesView) == Array(responseBytes.dropLast(8)))
        // A null error message (a success) is an int16 -1.
        let success = SaslAuthenticateAPI.Response(authBytes: ByteBuffer(bytes: [9]))
        #expect(Array(SaslAuthenticateAPI.encode(success, version: 0).readableBytesView) == [0, 0, 0xff, 0xff, 0, 0, 0, 1, 9])
    }
}
