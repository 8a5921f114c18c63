import Logging
import WeirLog

/// Why a reset of a group's offsets (an OffsetCommit without a member) is refused, in one
/// line: the broker logs it and answers POLICY_VIOLATION, OffsetCommit having no message.
public struct OffsetResetRefused: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// OffsetCommit and OffsetFetch: one set of committed offsets per group, whichever side
/// (a Kafka client, a pipeline's sink, `weir groups`) commits or reads it.
extension KafkaBroker {
    func offsetCommit(_ request: OffsetCommitAPI.Request) async -> OffsetCommitAPI.Response {
        var offsets: [TopicPartition: Int64] = [:]
        var metadata: [TopicPartition: String] = [:]
        var unknown: Set<TopicPartition> = []
        var tooLarge: Set<TopicPartition> = []
        for topic in request.topics {
            let count = (try? log.topic(topic.name))?.partitions.count ?? 0
            for partition in topic.partitions {
                let key = TopicPartition(topic: topic.name, partition: Int(partition.partitionIndex))
                if key.partition >= count {
                    unknown.insert(key)
                } else if let text = partition.committedMetadata, text.utf8.count > Self.maxOffsetMetadataBytes {
                    tooLarge.insert(key)
                } else {
                    offsets[key] = partition.committedOffset
                    metadata[key] = partition.committedMetadata
                }
            }
        }
        // Generation -1 without a member: a consumer that assigns itself partitions, accepted
        // while the group has no members (as Kafka does).
        let member = request.memberID.isEmpty && request.generationIDOrMemberEpoch < 0 ? nil : request.memberID
        var code = KafkaErrorCode.none
        do {
            if !offsets.isEmpty {
                try await onBlockingThread { [log, offsets, metadata, resetOffsets] in
                    if let member {
                        try log.groups.commit(
                            group: request.groupID, memberID: member, generation: Int(request.generationIDOrMemberEpoch), offsets: offsets,
                            metadata: metadata)
                    } else {
                        // What Kafka's tools send to reset a group's offsets: it moves what reads as the group too.
                        try resetOffsets(request.groupID, offsets)
                    }
                }
            }
        } catch WeirLogError.groupHasActiveMembers {
            code = .unknownMemberID
        } catch let refused as OffsetResetRefused {
            logger.warning("offsets of group '\(request.groupID)' not reset: \(refused)")
            code = .policyViolation
        } catch {
            code = Self.groupErrorCode(error)
        }
        return OffsetCommitAPI.Response(
            topics: request.topics.map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitions.map { partition in
                        let key = TopicPartition(topic: topic.name, partition: Int(partition.partitionIndex))
                        let error: KafkaErrorCode =
                            unknown.contains(key) ? .unknownTopicOrPartition : tooLarge.contains(key) ? .offsetMetadataTooLarge : code
                        return .init(partitionIndex: partition.partitionIndex, errorCode: error)
                    })
            })
    }

    /// Kafka's `offset.metadata.max.bytes` default.
    static let maxOffsetMetadataBytes = 4096

    func offsetFetch(_ request: OffsetFetchAPI.Request) -> OffsetFetchAPI.Response {
        let (committed, metadata) = log.groups.committedWithMetadata(group: request.groupID)
        let wanted: [OffsetFetchAPI.Request.OffsetFetchRequestTopic]
        if let topics = request.topics {
            wanted = topics
        } else {
            let byTopic = Dictionary(grouping: committed.keys, by: \.topic)
            wanted = byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!.map { Int32($0.partition) }.sorted()) }
        }
        return OffsetFetchAPI.Response(
            topics: wanted.map { topic in
                .init(
                    name: topic.name,
                    partitions: topic.partitionIndexes.map { index in
                        let key = TopicPartition(topic: topic.name, partition: Int(index))
                        return .init(partitionIndex: index, committedOffset: committed[key] ?? -1, metadata: metadata[key] ?? "")
                    })
            })
    }
}
