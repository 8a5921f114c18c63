import Testing
import WeirKafka

/// CreateTopics, DescribeConfigs and DeleteTopics against a `weir serve`, over TCP.
@Suite struct WireTopicAdminTests {
    @Test(arguments: [Int16(0), 4], [Int16(0), 3])
    func createDescribeAndDeleteTopics(createVersion: Int16, otherVersion: Int16) async throws {
        let bench = try await WireBench.start()
        let client = try await bench.connect(clientID: "admin")

        let created = try await client.call(
            CreateTopicsAPI.self,
            CreateTopicsAPI.Request(topics: [
                .init(name: "kept", numPartitions: 3, replicationFactor: 1, configs: [.init(name: "retention.ms", value: "3600000")]),
                .init(name: "tripled", numPartitions: 1, replicationFactor: 3),
                .init(name: "odd", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "no.such.config", value: "1")]),
            ]),
            version: createVersion)
        #expect(created.topics.map(\.name) == ["kept", "tripled", "odd"])
        #expect(created.topics.map(\.errorCode) == [.none, .invalidReplicationFactor, .invalidConfig])
        if createVersion >= 1 {
            #expect(created.topics[0].errorMessage == nil)
            #expect(created.topics[1].errorMessage?.isEmpty == false)
            #expect(created.topics[2].errorMessage?.contains("no.such.config") == true)
        }

        let metadata = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: ["kept", "tripled", "odd"]), version: 1)
        #expect(metadata.topics.map(\.errorCode) == [.none, .unknownTopicOrPartition, .unknownTopicOrPartition])
        #expect(metadata.topics.first?.partitions.map(\.partitionIndex) == [0, 1, 2])

        // Creating it again: TOPIC_ALREADY_EXISTS.
        let again = try await client.call(
            CreateTopicsAPI.self, CreateTopicsAPI.Request(topics: [.init(name: "kept", numPartitions: 1)]), version: createVersion)
        #expect(again.topics.first?.errorCode == .topicAlreadyExists)

        let described = try await client.call(
            DescribeConfigsAPI.self,
            DescribeConfigsAPI.Request(resources: [.init(resourceType: DescribeConfigsAPI.ResourceType.topic, resourceName: "kept")]),
            version: otherVersion)
        let result = try #require(described.results.first)
        #expect(result.errorCode == .none)
        #expect(result.resourceName == "kept")
        let retention = try #require(result.configs.first { $0.name == "retention.ms" })
        #expect(retention.value == "3600000")
        let segmentBytes = try #require(result.configs.first { $0.name == "segment.bytes" })
        if otherVersion == 0 {
            #expect(retention.isDefault == false)
            #expect(segmentBytes.isDefault == true)
        } else {
            #expect(retention.configSource == DescribeConfigsAPI.ConfigSource.dynamicTopicConfig)
            #expect(segmentBytes.configSource == DescribeConfigsAPI.ConfigSource.defaultConfig)
        }

        // Only the keys asked for.
        let one = try await client.call(
            DescribeConfigsAPI.self,
            DescribeConfigsAPI.Request(resources: [
                .init(resourceType: DescribeConfigsAPI.ResourceType.topic, resourceName: "kept", configurationKeys: ["retention.ms"]),
                .init(resourceType: DescribeConfigsAPI.ResourceType.topic, resourceName: "tripled"),
            ]),
            version: otherVersion)
        #expect(one.results.first?.configs.map(\.name) == ["retention.ms"])
        #expect(one.results.last?.errorCode == .unknownTopicOrPartition)

        let deleted = try await client.call(
            DeleteTopicsAPI.self, DeleteTopicsAPI.Request(topicNames: ["kept", "tripled"], timeoutMs: 10_000), version: otherVersion)
        #expect(deleted.responses.map(\.name) == ["kept", "tripled"])
        #expect(deleted.responses.map(\.errorCode) == [.none, .unknownTopicOrPartition])
        let after = try await client.call(MetadataAPI.self, MetadataAPI.Request(topics: nil), version: 1)
        #expect(after.topics.isEmpty)
        #expect(try await bench.finish() == 0)
    }
}
