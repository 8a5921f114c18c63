public import WeirLog

/// `weir topics describe` and `weir groups reset-offsets` through a broker.
extension RemoteTopics {
    /// A topic as a broker describes it: its settings read back from Kafka's config names,
    /// and each partition's earliest and latest offsets.
    public struct TopicDescription: Sendable {
        public var name: String
        public var config: TopicConfig
        public var partitions: [(id: Int, start: Int64, end: Int64)]
    }

    /// Metadata, ListOffsets and DescribeConfigs of `topic`. Settings Weir has no name for,
    /// or whose values it cannot take (another broker's), keep Weir's defaults.
    public func describe(_ topic: String) throws -> TopicDescription {
        let count = try partitionCount(topic)
        let request = DescribeConfigsAPI.Request(resources: [
            .init(resourceType: DescribeConfigsAPI.ResourceType.topic, resourceName: topic)
        ])
        let response = try connection.request(DescribeConfigsAPI.self, request, version: 1)
        guard let result = response.results.first else { throw Failure(description: "empty describe-configs response") }
        guard result.errorCode == .none else {
            throw Failure(
                description:
                    "settings of topic '\(topic)' at \(connection.address): \(result.errorCode)\(result.errorMessage.map { ": " + $0 } ?? "")"
            )
        }
        var config = TopicConfig()
        config.partitions = count
        let known = Set(KafkaConfigNames.names)
        // flush.messages and flush.ms are read together; the others one by one.
        let flush = result.configs.filter { [KafkaConfigNames.flushMessages, KafkaConfigNames.flushMs].contains($0.name) }
        if let read = try? KafkaConfigNames.applying(flush.map { ($0.name, $0.value) }, to: config, batchLimit: .max) { config = read }
        for entry in result.configs where known.contains(entry.name) && !flush.contains(entry) {
            if let read = try? KafkaConfigNames.applying([(entry.name, entry.value)], to: config, batchLimit: .max) { config = read }
        }
        let partitions = try (0..<count).map { id in
            (
                id: id, start: try offset(topic, partition: id, timestamp: ListOffsetsAPI.earliestTimestamp),
                end: try offset(topic, partition: id, timestamp: ListOffsetsAPI.latestTimestamp)
            )
        }
        return TopicDescription(name: topic, config: config, partitions: partitions)
    }

    /// Sets a group's committed offsets as Kafka's tools reset them: an OffsetCommit
    /// without a member (generation -1), which a broker takes only while the group has no
    /// members. A Weir broker also moves the offsets in its pipeline sinks' checkpoints,
    /// and refuses (POLICY_VIOLATION) for a file sink's.
    public func resetOffsets(group: String, offsets: [TopicPartition: Int64]) throws {
        let byTopic = Dictionary(grouping: offsets, by: \.key.topic)
        let request = OffsetCommitAPI.Request(
            groupID: group,
            topics: byTopic.keys.sorted().map { topic in
                .init(
                    name: topic,
                    partitions: byTopic[topic]!.sorted { $0.key < $1.key }.map {
                        .init(partitionIndex: Int32($0.key.partition), committedOffset: $0.value)
                    })
            })
        let response = try connection.request(OffsetCommitAPI.self, request, version: 6)
        let codes = response.topics.flatMap { topic in topic.partitions.map { (topic.name, $0.partitionIndex, $0.errorCode) } }
        guard let (topic, partition, code) = codes.first(where: { $0.2 != .none }) else { return }
        switch code {
        case .unknownMemberID, .illegalGeneration, .rebalanceInProgress, .nonEmptyGroup:
            throw Failure(description: "group '\(group)' has active members; stop them before resetting its offsets")
        case .policyViolation:
            throw Failure(
                description:
                    "\(connection.address) refused to move group '\(group)''s offsets (a Weir refuses for a group its pipelines' file sinks read as; its log says why)"
            )
        default:
            throw Failure(description: "offsets of group '\(group)' for \(topic)/\(partition) not reset: \(code)")
        }
    }
}
