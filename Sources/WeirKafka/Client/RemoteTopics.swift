import NIOCore
public import WeirLog

/// Topics of a Kafka-protocol broker (a running Weir's listener, or any other), for the
/// `weir` commands: partition counts, appends, offsets and fetches over one blocking
/// `KafkaConnection`. Versions are ones every Kafka broker since 2.1 serves.
public final class RemoteTopics: @unchecked Sendable {
    public let connection: KafkaConnection

    public init(address: String, clientID: String = "weir") throws {
        connection = try KafkaConnection(address, clientID: clientID, timeout: 60)
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The topic's partition count; an unknown topic is an error that says so.
    public func partitionCount(_ topic: String) throws -> Int {
        let response = try connection.request(
            MetadataAPI.self, MetadataAPI.Request(topics: [topic], allowAutoTopicCreation: false), version: 4)
        guard let found = response.topics.first(where: { $0.name == topic }) else {
            throw Failure(description: "no topic '\(topic)' at \(connection.address)")
        }
        guard found.errorCode == .none else { throw Failure(description: "topic '\(topic)' at \(connection.address): \(found.errorCode)") }
        return found.partitions.count
    }

    /// Every topic name.
    public func topicNames() throws -> [String] {
        try connection.request(MetadataAPI.self, MetadataAPI.Request(topics: nil), version: 4).topics.map(\.name).sorted()
    }

    /// Appends one encoded batch (acks -1: as durable as the topic's flush policy); its base offset.
    public func append(_ batch: [UInt8], topic: String, partition: Int) throws -> Int64 {
        let request = ProduceAPI.Request(
            acks: -1, timeoutMs: 30_000,
            topicData: [.init(name: topic, partitionData: [.init(index: Int32(partition), records: ByteBuffer(bytes: batch))])])
        let response = try connection.request(ProduceAPI.self, request, version: 7)
        guard let result = response.responses.first?.partitionResponses.first else { throw Failure(description: "empty produce response") }
        guard result.errorCode == .none else {
            throw Failure(
                description: "append to \(topic)/\(partition) refused: \(result.errorCode)\(result.errorMessage.map { ": " + $0 } ?? "")")
        }
        return result.baseOffset
    }

    /// The partition's earliest (-2), latest (-1) offset, or the first at or after a time
    /// (its end if none).
    public func offset(_ topic: String, partition: Int, timestamp: Int64) throws -> Int64 {
        let request = ListOffsetsAPI.Request(topics: [
            .init(name: topic, partitions: [.init(partitionIndex: Int32(partition), timestamp: timestamp)])
        ])
        let response = try connection.request(ListOffsetsAPI.self, request, version: 2)
        guard let result = response.topics.first?.partitions.first else { throw Failure(description: "empty list-offsets response") }
        guard result.errorCode == .none else { throw Failure(description: "offsets of \(topic)/\(partition): \(result.errorCode)") }
        if result.offset < 0 { return try offset(topic, partition: partition, timestamp: ListOffsetsAPI.latestTimestamp) }
        return result.offset
    }

    /// Whole batches from `offset` (the first may start before it), waiting up to
    /// `maxWaitMs` for some; and the partition's high watermark.
    public func fetch(_ topic: String, partition: Int, from offset: Int64, maxWaitMs: Int32, maxBytes: Int32 = 4 << 20) throws
        -> (batches: [UInt8], highWatermark: Int64)
    {
        let request = FetchAPI.Request(
            maxWaitMs: maxWaitMs, minBytes: 1, maxBytes: maxBytes,
            topics: [
                .init(topic: topic, partitions: [.init(partition: Int32(partition), fetchOffset: offset, partitionMaxBytes: maxBytes)])
            ])
        let response = try connection.request(FetchAPI.self, request, version: 11)
        guard let result = response.responses.first?.partitions.first else { throw Failure(description: "empty fetch response") }
        guard result.errorCode == .none else {
            throw Failure(description: "fetch of \(topic)/\(partition) at \(offset): \(result.errorCode)")
        }
        return (result.records.map { Array($0.readableBytesView) } ?? [], result.highWatermark)
    }

    /// Every group the broker knows.
    public func groupNames() throws -> [String] {
        let response = try connection.request(ListGroupsAPI.self, ListGroupsAPI.Request(), version: 2)
        guard response.errorCode == .none else { throw Failure(description: "list groups: \(response.errorCode)") }
        return response.groups.map(\.groupID).sorted()
    }

    /// A group's committed offsets (the next offset to read), every topic's.
    public func committedOffsets(_ group: String) throws -> [(topic: String, partition: Int, offset: Int64)] {
        let response = try connection.request(OffsetFetchAPI.self, OffsetFetchAPI.Request(groupID: group, topics: nil), version: 5)
        guard response.errorCode == .none else { throw Failure(description: "offsets of group '\(group)': \(response.errorCode)") }
        return response.topics.flatMap { topic in
            topic.partitions.filter { $0.committedOffset >= 0 }.map { (topic.name, Int($0.partitionIndex), $0.committedOffset) }
        }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    /// Creates a topic with Weir's settings under Kafka's names (those that differ from the
    /// defaults), one replica per partition as a single broker has.
    public func createTopic(_ name: String, config: TopicConfig) throws {
        let configs = KafkaConfigNames.entries(for: config).filter { !$0.isDefault }.map {
            CreateTopicsAPI.Request.CreatableTopicConfig(name: $0.name, value: $0.value)
        }
        let request = CreateTopicsAPI.Request(
            topics: [.init(name: name, numPartitions: Int32(config.partitions), replicationFactor: -1, assignments: [], configs: configs)],
            timeoutMs: 30_000)
        let response = try connection.request(CreateTopicsAPI.self, request, version: 4)
        guard let result = response.topics.first else { throw Failure(description: "empty create-topics response") }
        guard result.errorCode == .none else {
            throw Failure(description: "topic '\(name)' not created: \(result.errorCode)\(result.errorMessage.map { ": " + $0 } ?? "")")
        }
    }

    /// Deletes a topic.
    public func deleteTopic(_ name: String) throws {
        let response = try connection.request(
            DeleteTopicsAPI.self, DeleteTopicsAPI.Request(topicNames: [name], timeoutMs: 30_000), version: 3)
        guard let result = response.responses.first else { throw Failure(description: "empty delete-topics response") }
        guard result.errorCode == .none else { throw Failure(description: "topic '\(name)' not deleted: \(result.errorCode)") }
    }
}
