import NIOCore
import Testing
import WeirKafka

@Suite struct DeleteTopicsAPITests {
    static func response(version: Int16) -> DeleteTopicsAPI.Response {
        DeleteTopicsAPI.Response(
            throttleTimeMs: version >= 1 ? 9 : 0,
            responses: [.init(name: "orders"), .init(name: "missing", errorCode: .unknownTopicOrPartition)])
    }

    @Test("a request decodes to what was encoded", arguments: DeleteTopicsAPI.versions)
    func requestRoundTrips(version: Int16) throws {
        let request = DeleteTopicsAPI.Request(topicNames: ["orders", "missing"], timeoutMs: 15000)
        let bytes = DeleteTopicsAPI.encode(request, version: version)
        #expect(try DeleteTopicsAPI.decodeRequest(bytes, version: version) == request)
    }

    @Test("a response decodes to what was encoded", arguments: DeleteTopicsAPI.versions)
    func responseRoundTrips(version: Int16) throws {
        let response = Self.response(version: version)
        let bytes = DeleteTopicsAPI.encode(response, version: version)
        #expect(try DeleteTopicsAPI.decodeResponse(bytes, version: version) == response)
    }

    @Test("a v0 request and a v1 response are laid out as Kafka's definitions say")
    func bytes() throws {
        let request = DeleteTopicsAPI.Request(topicNames: ["a", "b"], timeoutMs: 5000)
        let requestBytes: [UInt8] = [
            0, 0, 0, 2,  // topicNames: 2
            0, 1, 0x61, 0, 1, 0x62,  // "a", "b"
            0, 0, 0x13, 0x88,  // timeoutMs 5000
        ]
        #expect(Array(DeleteTopicsAPI.encode(request, version: 0).readableBytesView) == requestBytes)
        #expect(try DeleteTopicsAPI.decodeRequest(ByteBuffer(bytes: requestBytes), version: 0) == request)

        let response = DeleteTopicsAPI.Response(throttleTimeMs: 2, responses: [.init(name: "a", errorCode: .unknownTopicOrPartition)])
        let responseBytes: [UInt8] = [
            0, 0, 0, 2,  // throttleTimeMs (v1+)
            0, 0, 0, 1,  // responses: 1
            0, 1, 0x61,  // name "a"
            0, 3,  // UNKNOWN_TOPIC_OR_PARTITION
        ]
        #expect(Array(DeleteTopicsAPI.encode(response, version: 1).readableBytesView) == responseBytes)
        #expect(try DeleteTopicsAPI.decodeResponse(ByteBuffer(bytes: responseBytes), version: 1) == response)
        #expect(Array(DeleteTopicsAPI.encode(response, version: 0).readableBytesView) == Array(responseBytes.dropFirst(4)))
    }
}
