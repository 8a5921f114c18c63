import NIOCore
import Testing
import WeirKafka

@Suite struct DescribeConfigsAPITests {
    typealias Config = DescribeConfigsAPI.Response.DescribeConfigsResourceResult

    /// Every field of `version` set to something other than its default.
    static func request(version: Int16) -> DescribeConfigsAPI.Request {
        DescribeConfigsAPI.Request(
            resources: [
                .init(resourceType: DescribeConfigsAPI.ResourceType.topic, resourceName: "orders", configurationKeys: ["retention.ms"]),
                .init(resourceType: DescribeConfigsAPI.ResourceType.broker, resourceName: "0", configurationKeys: nil),
            ],
            includeSynonyms: version >= 1, includeDocumentation: version >= 3)
    }

    static func response(version: Int16) -> DescribeConfigsAPI.Response {
        let retention = Config(
            name: "retention.ms", value: "86400000", readOnly: true, isDefault: version == 0,
            configSource: version >= 1 ? DescribeConfigsAPI.ConfigSource.dynamicTopicConfig : -1, isSensitive: true,
            synonyms: version >= 1 ? [.init(name: "log.retention.ms", value: nil, source: 4)] : [],
            configType: version >= 3 ? 5 : 0, documentation: version >= 3 ? "How long records are kept." : nil)
        return DescribeConfigsAPI.Response(
            throttleTimeMs: 11,
            results: [
                .init(
                    resourceType: DescribeConfigsAPI.ResourceType.topic, resourceName: "orders",
                    configs: [retention, Config(name: "x", value: nil)]),
                .init(
                    errorCode: .unknownTopicOrPartition, errorMessage: "no such topic", resourceType: DescribeConfigsAPI.ResourceType.topic,
                    resourceName: "missing", configs: []),
            ])
    }

    @Test("a request decodes to what was encoded", arguments: DescribeConfigsAPI.versions)
    func requestRoundTrips(version: Int16) throws {
        let request = Self.request(version: version)
        let bytes = DescribeConfigsAPI.encode(request, version: version)
        #expect(try DescribeConfigsAPI.decodeRequest(bytes, version: version) == request)
    }

    @Test("a response decodes to what was encoded", arguments: DescribeConfigsAPI.versions)
    func responseRoundTrips(version: Int16) throws {
        let response = Self.response(version: version)
        let bytes = DescribeConfigsAPI.encode(response, version: version)
        #expect(try DescribeConfigsAPI.decodeResponse(bytes, version: version) == response)
    }

    @Test("a v3 request is laid out as Kafka's definition says; v0 stops before the flags")
    func requestBytes() throws {
        let request = DescribeConfigsAPI.Request(
            resources: [.init(resourceType: 2, resourceName: "t", configurationKeys: nil)], includeSynonyms: true,
            includeDocumentation: true)
        let v3: [UInt8] = [
            0, 0, 0, 1,  // resources: 1
            2,  // TOPIC
            0, 1, 0x74,  // "t"
            0xff, 0xff, 0xff, 0xff,  // configurationKeys: null (all)
            1,  // includeSynonyms (v1+)
            1,  // includeDocumentation (v3+)
        ]
        #expect(Array(DescribeConfigsAPI.encode(request, version: 3).readableBytesView) == v3)
        #expect(try DescribeConfigsAPI.decodeRequest(ByteBuffer(bytes: v3), version: 3) == request)
        #expect(Array(DescribeConfigsAPI.encode(request, version: 1).readableBytesView) == Array(v3.dropLast()))
        #expect(Array(DescribeConfigsAPI.encode(request, version: 0).readableBytesView) == Array(v3.dropLast(2)))
    }

    /// One config "a" = "1": v0 says isDefault, v1 its source and a synonym, v3 also type and documentation.
    @Test("a response's config entry is laid out per version as Kafka's definition says", arguments: DescribeConfigsAPI.versions)
    func responseBytes(version: Int16) throws {
        let config = Config(
            name: "a", value: "1", readOnly: false, isDefault: version == 0,
            configSource: version >= 1 ? DescribeConfigsAPI.ConfigSource.defaultConfig : -1, isSensitive: false,
            synonyms: version >= 1 ? [.init(name: "b", value: nil, source: 4)] : [],
            configType: version >= 3 ? 3 : 0, documentation: version >= 3 ? "d" : nil)
        let response = DescribeConfigsAPI.Response(results: [.init(resourceType: 2, resourceName: "t", configs: [config])])
        var expected: [UInt8] = [
            0, 0, 0, 0,  // throttleTimeMs
            0, 0, 0, 1,  // results: 1
            0, 0,  // no error
            0xff, 0xff,  // errorMessage: null
            2,  // TOPIC
            0, 1, 0x74,  // "t"
            0, 0, 0, 1,  // configs: 1
            0, 1, 0x61,  // name "a"
            0, 1, 0x31,  // value "1"
            0,  // readOnly
        ]
        if version == 0 {
            expected += [1]  // isDefault
        } else {
            expected += [5]  // configSource DEFAULT_CONFIG
        }
        expected += [0]  // isSensitive
        if version >= 1 {
            expected += [0, 0, 0, 1, 0, 1, 0x62, 0xff, 0xff, 4]  // synonyms: "b" = null from STATIC_BROKER_CONFIG
        }
        if version >= 3 {
            expected += [3, 0, 1, 0x64]  // configType INT, documentation "d"
        }
        #expect(Array(DescribeConfigsAPI.encode(response, version: version).readableBytesView) == expected)
        #expect(try DescribeConfigsAPI.decodeResponse(ByteBuffer(bytes: expected), version: version) == response)
    }
}
