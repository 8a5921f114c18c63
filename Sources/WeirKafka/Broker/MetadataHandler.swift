import WeirLog

extension KafkaBroker {
    /// Node 0 at the advertised address leads every partition, holds every replica and
    /// is the controller (never -1: admin clients wait forever for a controller).
    func metadata(_ request: MetadataAPI.Request, version: Int16) async throws -> MetadataAPI.Response {
        let names: [String]
        if request.wantsAllTopics(version: version) {
            names = log.topicNames
        } else {
            names = request.topics ?? []
        }
        let create = autoCreateTopics && request.allowAutoTopicCreation
        var topics: [MetadataAPI.Response.MetadataResponseTopic] = []
        for name in names {
            do {
                let topic = try await existingOrCreated(name, create: create)
                let partitions = topic.partitions.map { partition in
                    MetadataAPI.Response.MetadataResponsePartition(
                        partitionIndex: Int32(partition.id), leaderID: Self.nodeID, replicaNodes: [Self.nodeID], isrNodes: [Self.nodeID])
                }
                topics.append(.init(name: name, partitions: partitions))
            } catch {
                topics.append(.init(errorCode: KafkaErrorCode(error), name: name, partitions: []))
            }
        }
        return MetadataAPI.Response(
            brokers: [.init(nodeID: Self.nodeID, host: advertisedHost, port: Int32(advertisedPort))],
            clusterID: clusterID,
            controllerID: Self.nodeID,
            topics: topics)
    }

    /// The topic, or, when the listener auto-creates topics, a new one with default settings.
    func existingOrCreated(_ name: String, create: Bool) async throws -> Topic {
        do {
            return try log.topic(name)
        } catch WeirLogError.unknownTopic where create {
            return try await onBlockingThread { [log] in
                do {
                    return try log.createTopic(name)
                } catch WeirLogError.topicExists {
                    return try log.topic(name)
                }
            }
        }
    }
}
