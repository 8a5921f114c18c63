import NIOCore
import Testing
import WeirKafka

/// ApiVersions and Metadata against a `weir serve`, over TCP.
@Suite struct WireApiVersionsMetadataTests {
    /// What the broker serves: each API's key and the versions its codec declares.
    static let servedTable: [ApiVersionsAPI.Response.Range] = [
        range(ProduceAPI.self), range(FetchAPI.self), range(ListOffsetsAPI.self), range(MetadataAPI.self),
        range(OffsetCommitAPI.self), range(OffsetFetchAPI.self), range(FindCoordinatorAPI.self), range(JoinGroupAPI.self),
        range(HeartbeatAPI.self), range(LeaveGroupAPI.self), range(SyncGroupAPI.self), range(DescribeGroupsAPI.self),
        range(ListGroupsAPI.self), range(ApiVersionsAPI.self), range(CreateTopicsAPI.self), range(DeleteTopicsAPI.self),
        range(InitProducerIdAPI.self), range(DescribeConfigsAPI.self), range(DeleteGroupsAPI.self),
    ].sorted { $0.apiKey < $1.apiKey }

    static func range<API: KafkaAPI>(_: API.Type) -> ApiVersionsAPI.Response.Range {
        .init(apiKey: API.key.rawValue, minVersion: API.versions.lowerBound, maxVersion: API.versions.upperBound)
    }

    @Test(arguments: ApiVersionsAPI.versions)
    func apiVersionsAnswersTheServedTable(version: Int16) async throws {
        let bench = try await WireBench.start()
        let client = try await bench.connect()
        let request = ApiVersionsAPI.Request(
            clientSoftwareName: version >= 3 ? "weir-wire-test" : nil, clientSoftwareVersion: version >= 3 ? "1.0" : nil)
        let response = try await client.call(ApiVersionsAPI.self, request, version: version)
        #expect(response.errorCode == .none)
        #expect(response.apiKeys == Self.servedTable)
        #expect(response.throttleTimeMs == 0)
        #expect(try await bench.finish() == 0)
    }

    /// A newer ApiVersions than served: UNSUPPORTED_VERSION in the v0 layout, with the
    /// ranges, and the connection stays usable.
    @Test func unsupportedApiVersionsAnswersInV0AndKeepsTheConnection() async throws {
        let bench = try await WireBench.start(topics: ["alpha": 1])
        let client = try await bench.connect()
        let response = try await onOwnThread {
            let correlation = try client.send(
                ApiVersionsAPI.self, ApiVersionsAPI.Request(clientSoftwareName: "weir-wire-test", clientSoftwareVersion: "9.9"),
                version: 5)
            return try client.receive(ApiVersionsAPI.self, version: 0, correlation: correlation)
        }
        #expect(response.errorCode == .unsupportedVersion)
        #expect(response.apiKeys == Self.servedTable)

        let metadata = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: ["alpha"]), version: 1)
        #expect(metadata.topics.map(\.name) == ["alpha"])
        #expect(metadata.topics.first?.errorCode == KafkaErrorCode.none)
        #expect(try await bench.finish() == 0)
    }

    @Test(arguments: [Int16(0), 1, 4, 8])
    func metadataListsTopicsPartitionsAndTheOneBroker(version: Int16) async throws {
        let bench = try await WireBench.start(topics: ["alpha": 3, "beta": 1])
        let client = try await bench.connect()

        let named = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: ["alpha", "beta", "gamma"]), version: version)
        #expect(named.brokers == [.init(nodeID: 0, host: "127.0.0.1", port: Int32(bench.port))])
        #expect(named.controllerID == (version >= 1 ? 0 : -1))
        if version >= 2 { #expect(named.clusterID?.isEmpty == false) }
        #expect(named.topics.map(\.name) == ["alpha", "beta", "gamma"])
        let alpha = try #require(named.topics.first)
        #expect(alpha.errorCode == .none)
        #expect(alpha.isInternal == false)
        #expect(alpha.partitions.map(\.partitionIndex) == [0, 1, 2])
        for partition in alpha.partitions {
            #expect(partition.errorCode == .none)
            #expect(partition.leaderID == 0)
            #expect(partition.replicaNodes == [0])
            #expect(partition.isrNodes == [0])
        }
        #expect(named.topics[1].partitions.map(\.partitionIndex) == [0])
        #expect(named.topics[2].errorCode == .unknownTopicOrPartition)
        #expect(named.topics[2].partitions.isEmpty)

        // Every topic: null in v1+, an empty list in v0.
        let all = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: version == 0 ? [] : nil), version: version)
        #expect(all.topics.map(\.name).sorted() == ["alpha", "beta"])
        #expect(all.topics.allSatisfy { $0.errorCode == .none })
        #expect(try await bench.finish() == 0)
    }

    /// Metadata and FindCoordinator send clients to the advertised address, not the bound one.
    @Test func metadataGivesTheAdvertisedAddress() async throws {
        let bench = try await WireBench.start(topics: ["alpha": 1], extra: ["--kafka-advertise", "localhost:19092"])
        let client = try await bench.connect()
        let metadata = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: nil), version: 8)
        #expect(metadata.brokers == [.init(nodeID: 0, host: "localhost", port: 19092)])
        #expect(metadata.controllerID == 0)
        let coordinator = try await client.call(FindCoordinatorAPI.self, FindCoordinatorAPI.Request(key: "any"), version: 1)
        #expect(coordinator.host == "localhost")
        #expect(coordinator.port == 19092)
        #expect(try await bench.finish() == 0)
    }

    @Test func metadataCreatesUnknownTopicsWithAutoCreate() async throws {
        let bench = try await WireBench.start(extra: ["--kafka-auto-create-topics"])
        let client = try await bench.connect()

        // A client that does not allow auto-creation (v4+) does not create it.
        let refused = try await client.call(
            MetadataAPI.self, MetadataAPI.Request(topics: ["fresh"], allowAutoTopicCreation: false), version: 4)
        #expect(refused.topics.first?.errorCode == .unknownTopicOrPartition)

        let created = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: ["fresh"]), version: 4)
        #expect(created.topics.first?.name == "fresh")
        #expect(created.topics.first?.errorCode == KafkaErrorCode.none)
        #expect(created.topics.first?.partitions.map(\.partitionIndex) == [0])

        let all = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: nil), version: 8)
        #expect(all.topics.map(\.name) == ["fresh"])
        #expect(try await bench.finish() == 0)

        // The topic is in the data directory.
        let listed = try await weirCommand(bench.dataDir, ["topics", "list"])
        #expect(listed.contains("fresh"))
    }

    @Test func metadataWithoutAutoCreateLeavesUnknownTopicsUnknown() async throws {
        let bench = try await WireBench.start()
        let client = try await bench.connect()
        let response = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: ["fresh"]), version: 4)
        #expect(response.topics.first?.errorCode == .unknownTopicOrPartition)
        let all = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: nil), version: 4)
        #expect(all.topics.isEmpty)
        #expect(try await bench.finish() == 0)
    }
}
