/// Kafka's `roundrobin`: all partitions sorted by topic and number are dealt to the
/// members in sorted order, skipping members not subscribed to a partition's topic.
public struct RoundRobinAssignor: Assignor {
    public let name = "roundrobin"

    public init() {}

    public func assign(
        subscriptions: [String: Set<String>],
        partitionCounts: [String: Int],
        previous: [String: [TopicPartition]]
    ) -> [String: [TopicPartition]] {
        var result = subscriptions.mapValues { _ in [TopicPartition]() }
        let members = subscriptions.keys.sorted()
        guard !members.isEmpty else { return result }
        var cursor = 0
        for partition in subscribedPartitions(subscriptions, partitionCounts) {
            for step in 0..<members.count {
                let member = members[(cursor + step) % members.count]
                if subscriptions[member]!.contains(partition.topic) {
                    result[member, default: []].append(partition)
                    cursor = (cursor + step + 1) % members.count
                    break
                }
            }
        }
        return result
    }
}
