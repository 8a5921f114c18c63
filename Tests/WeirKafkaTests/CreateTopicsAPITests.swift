import NIOCore
import Testing
import WeirKafka

@Suite struct CreateTopicsAPITests {
    /// Every field of `version` set to something other than its default.
    static func request(version: Int16) -> CreateTopicsAPI.Request {
        CreateTopicsAPI.Request(
            topics: [
                .init(
                    name: "orders", numPartitions: 3, replicationFactor: 1,
                    assignments: [.init(partitionIndex: 0, brokerIDs: [1, 2]), .init(partitionIndex: 1, brokerIDs: [2])],
                    configs: [.init(name: "retention.ms", value: "86400000"), .init(name: "flush.ms", value: nil)]),
                .init(name: "audit", numPartitions: 1, replicationFactor: 1),
            ],
            timeoutMs: 30000, validateOnly: version >= 1)
    }

    static func response(version: Int16) -> CreateTopicsAPI.Response {
        CreateTopicsAPI.Response(
            throttleTimeMs: version >= 2 ? 7 : 0,
            topics: [
                .init(name: "orders", errorCode: .invalidConfig, errorMessage: version >= 1 ? "invalid topic config" : nil),
                .init(name: "audit", errorCode: .topicAlreadyExists),
            ])
    }

    @Test("a request decodes to what was encoded", arguments: CreateTopicsAPI.versions)
    func requestRoundTrips(version: Int16) throws {
        let request = Self.request(version: version)
        let bytes = CreateTopicsAPI.encode(request, version: version)
        #expect(try CreateTopicsAPI.decodeRequest(bytes, version: version) == request)
    }

    @Test("a response decodes to what was encoded", arguments: CreateTopicsAPI.versions)
    func responseRoundTrips(version: Int16) throws {
        let response = Self.response(version: version)
        let bytes = CreateTopicsAPI.encode(response, version: version)
        #expect(try CreateTopicsAPI.decodeResponse(bytes, version: version) == response)
    }

    @Test("a v1 request is laid out as Kafka's definition says, with a null config value")
    func requestV1Bytes() throws {
        let request = CreateTopicsAPI.Request(
            topics: [
                .init(
                    name: "t", numPartitions: 2, replicationFactor: 1, assignments: [.init(partitionIndex: 0, brokerIDs: [1])],
                    configs: [.init(name: "a", value: "b"), .init(name: "c", value: nil)])
            ],
            timeoutMs: 1000, validateOnly: true)
        let expected: [UInt8] = [
            0, 0, 0, 1,  // topics: 1
            0, 1, 0x74,  // name "t"
            0, 0, 0, 2,  // numPartitions
            0, 1,  // replicationFactor
            0, 0, 0, 1,  // assignments: 1
            0, 0, 0, 0,  // partitionIndex 0
            0, 0, 0, 1, 0, 0, 0, 1,  // brokerIDs [1]
            0, 0, 0, 2,  // configs: 2
            0, 1, 0x61, 0, 1, 0x62,  // "a" = "b"
            0, 1, 0x63, 0xff, 0xff,  // "c" = null
            0, 0, 0x03, 0xe8,  // timeoutMs 1000
            1,  // validateOnly
        ]
        #expect(Array(CreateTopicsAPI.encode(request, version: 1).readableBytesView) == expected)
        #expect(try CreateTopicsAPI.decodeRequest(ByteBuffer(bytes: expected), version: 1) == request)
        // v0 has no validateOnly: the same bytes less the last.
        var v0 = request
        v0.validateOnly = false
        #expect(Array(CreateTopicsAPI.encode(v0, version: 0).readableBytesView) == expected.dropLast())
    }

    @Test("responses gain the error message in v1 and the throttle time in v2")
    func responseBytes() throws {
        let response = CreateTopicsAPI.Response(
            throttleTimeMs: 5, topics: [.init(name: "t", errorCode: .invalidConfig, errorMessage: "no")])
        let v2: [UInt8] = [
            0, 0, 0, 5,  // throttleTimeMs
            0, 0, 0, 1,  // topics: 1
            0, 1, 0x74,  // name "t"
            0, 40,  // INVALID_CONFIG
            0, 2, 0x6e, 0x6f,  // errorMessage "no"
        ]
        #expect(Array(CreateTopicsAPI.encode(response, version: 2).readableBytesView) == v2)
        #expect(try CreateTopicsAPI.decodeResponse(ByteBuffer(bytes: v2), version: 2) == response)
        #expect(Array(CreateTopicsAPI.encode(response, version: 1).readableBytesView) == Array(v2.dropFirst(4)))
        #expect(Array(CreateTopicsAPI.encode(response, version: 0).readableBytesView) == Array(v2.dropFirst(4).dropLast(4)))
        let v0 = try CreateTopicsAPI.decodeResponse(ByteBuffer(bytes: Array(v2.dropFirst(4).dropLast(4))), version: 0)
        #expect(v0 == CreateTopicsAPI.Response(topics: [.init(name: "t", errorCode: .invalidConfig)]))
    }
}
