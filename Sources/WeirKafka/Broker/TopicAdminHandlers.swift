import WeirLog

/// CreateTopics, DeleteTopics and DescribeConfigs: topics with Weir's settings under
/// Kafka's config names (`KafkaConfigNames`).
extension KafkaBroker {
    func createTopics(_ request: CreateTopicsAPI.Request) async -> CreateTopicsAPI.Response {
        var results: [CreateTopicsAPI.Response.CreatableTopicResult] = []
        for wanted in request.topics {
            do {
                let config = try Self.topicConfig(wanted)
                if !request.validateOnly {
                    _ = try await onBlockingThread { [log] in try log.createTopic(wanted.name, config: config) }
                } else if log.topicNames.contains(wanted.name) {
                    throw WeirLogError.topicExists(wanted.name)
                }
                results.append(.init(name: wanted.name))
            } catch let error as TopicRefused {
                results.append(.init(name: wanted.name, errorCode: error.code, errorMessage: error.message))
            } catch let error as KafkaConfigError {
                results.append(.init(name: wanted.name, errorCode: .invalidConfig, errorMessage: error.description))
            } catch {
                results.append(.init(name: wanted.name, errorCode: KafkaErrorCode(error), errorMessage: "\(error)"))
            }
        }
        return CreateTopicsAPI.Response(topics: results)
    }

    private struct TopicRefused: Error {
        var code: KafkaErrorCode
        var message: String
    }

    /// The settings a CreateTopics entry asks for: one broker holds one replica of each
    /// partition, so the replication factor is 1 (or -1, the default) and replica
    /// assignments, if any, name node 0 only.
    private static func topicConfig(_ wanted: CreateTopicsAPI.Request.CreatableTopic) throws -> TopicConfig {
        var config = TopicConfig()
        if wanted.assignments.isEmpty {
            if wanted.numPartitions > 0 {
                config.partitions = Int(wanted.numPartitions)
            } else if wanted.numPartitions != -1 {
                throw TopicRefused(code: .invalidPartitions, message: "the number of partitions must be at least 1 (or -1 for 1)")
            }
        } else {
            let indexes = wanted.assignments.map(\.partitionIndex).sorted()
            guard indexes == Array(0..<Int32(indexes.count)), wanted.assignments.allSatisfy({ $0.brokerIDs == [nodeID] }) else {
                throw TopicRefused(
                    code: .invalidReplicaAssignment, message: "Weir is one broker (node 0): each partition has the one replica [0]")
            }
            config.partitions = indexes.count
        }
        guard wanted.replicationFactor == -1 || wanted.replicationFactor == 1 else {
            throw TopicRefused(
                code: .invalidReplicationFactor,
                message: "replication factor \(wanted.replicationFactor) is more than the 1 broker Weir is (use 1 or -1)")
        }
        return try KafkaConfigNames.applying(wanted.configs.map { ($0.name, $0.value) }, to: config)
    }

    func deleteTopics(_ request: DeleteTopicsAPI.Request) async -> DeleteTopicsAPI.Response {
        var results: [DeleteTopicsAPI.Response.DeletableTopicResult] = []
        for name in request.topicNames {
            do {
                try await onBlockingThread { [log] in try log.deleteTopic(name) }
                results.append(.init(name: name))
            } catch {
                results.append(.init(name: name, errorCode: KafkaErrorCode(error)))
            }
        }
        return DeleteTopicsAPI.Response(responses: results)
    }

    func describeConfigs(_ request: DescribeConfigsAPI.Request, version: Int16) -> DescribeConfigsAPI.Response {
        DescribeConfigsAPI.Response(
            results: request.resources.map { resource in
                func result(
                    _ code: KafkaErrorCode, _ message: String?, _ configs: [DescribeConfigsAPI.Response.DescribeConfigsResourceResult]
                )
                    -> DescribeConfigsAPI.Response.DescribeConfigsResult
                {
                    .init(
                        errorCode: code, errorMessage: message, resourceType: resource.resourceType, resourceName: resource.resourceName,
                        configs: configs)
                }
                switch resource.resourceType {
                case DescribeConfigsAPI.ResourceType.topic:
                    do {
                        let topic = try log.topic(resource.resourceName)
                        let keys = resource.configurationKeys.map(Set.init)
                        let entries = KafkaConfigNames.entries(for: topic.config).filter { keys?.contains($0.name) ?? true }
                        return result(
                            .none, nil,
                            entries.map { entry in
                                .init(
                                    name: entry.name, value: entry.value, isDefault: entry.isDefault,
                                    configSource: entry.isDefault
                                        ? DescribeConfigsAPI.ConfigSource.defaultConfig : DescribeConfigsAPI.ConfigSource.dynamicTopicConfig
                                )
                            })
                    } catch {
                        return result(KafkaErrorCode(error), "\(error)", [])
                    }
                case DescribeConfigsAPI.ResourceType.broker:
                    return result(.none, nil, [])
                default:
                    return result(.invalidRequest, "Weir describes topics (2) and brokers (4) only", [])
                }
            })
    }
}
