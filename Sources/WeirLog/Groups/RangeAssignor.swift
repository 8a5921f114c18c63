/// Kafka's `range`: per topic, the members subscribed to it (sorted) take contiguous
/// ranges of partitions; the first `partitions % members` take one extra.
public struct RangeAssignor: Assignor {
    public let name = "range"

    public init() {}

    public func assign(
        subscriptions: [String: Set<String>],
        partitionCounts: [String: Int],
        previous: [String: [TopicPartition]]
    ) -> [String: [TopicPartition]] {
        var result = subscriptions.mapValues { _ in [TopicPartition]() }
        let topics = Set(subscriptions.values.flatMap { $0 }).sorted()
        for topic in topics {
            let members = subscriptions.filter { $0.value.contains(topic) }.keys.sorted()
            let count = partitionCounts[topic] ?? 0
            guard !members.isEmpty else { continue }
            let each = count / members.count
            let extra = count % members.count
            var next = 0
            for (i, member) in members.enumerated() {
                let take = each + (i < extra ? 1 : 0)
                result[member, default: []] += (next..<next + take).map { TopicPartition(topic: topic, partition: $0) }
                next += take
            }
        }
        return result
    }
}
