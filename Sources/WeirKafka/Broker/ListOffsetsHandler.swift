import WeirLog

extension KafkaBroker {
    /// Earliest (-2), latest (-1: the high watermark) or the first offset at or after a
    /// timestamp, per partition. A time after every record answers offset -1, as Kafka does.
    func listOffsets(_ request: ListOffsetsAPI.Request) async -> ListOffsetsAPI.Response {
        let topics = (try? await onBlockingThread { self.lookUpOffsets(request) }) ?? []
        return ListOffsetsAPI.Response(topics: topics)
    }

    private func lookUpOffsets(_ request: ListOffsetsAPI.Request) -> [ListOffsetsAPI.Response.ListOffsetsTopicResponse] {
        request.topics.map { topic in
            let partitions = topic.partitions.map { wanted -> ListOffsetsAPI.Response.ListOffsetsPartitionResponse in
                do {
                    let partition = try log.topic(topic.name).partition(Int(wanted.partitionIndex))
                    switch wanted.timestamp {
                    case ListOffsetsAPI.latestTimestamp:
                        return .init(partitionIndex: wanted.partitionIndex, offset: try partition.endOffset)
                    case ListOffsetsAPI.earliestTimestamp:
                        return .init(partitionIndex: wanted.partitionIndex, offset: try partition.startOffset)
                    default:
                        guard let found = try partition.firstRecord(atOrAfterTimestamp: wanted.timestamp) else {
                            return .init(partitionIndex: wanted.partitionIndex)
                        }
                        return .init(partitionIndex: wanted.partitionIndex, timestamp: found.timestamp, offset: found.offset)
                    }
                } catch {
                    return .init(partitionIndex: wanted.partitionIndex, errorCode: KafkaErrorCode(error))
                }
            }
            return .init(name: topic.name, partitions: partitions)
        }
    }
}
