/// Kafka's `sticky` idea: keep each surviving member's partitions where the balance
/// allows, and move only what must move. Counts end up within one of each other.
public struct StickyAssignor: Assignor {
    public let name = "sticky"

    public init() {}

    public func assign(
        subscriptions: [String: Set<String>],
        partitionCounts: [String: Int],
        previous: [String: [TopicPartition]]
    ) -> [String: [TopicPartition]] {
        let members = subscriptions.keys.sorted()
        var result = subscriptions.mapValues { _ in [TopicPartition]() }
        guard !members.isEmpty else { return result }
        let all = subscribedPartitions(subscriptions, partitionCounts)
        let valid = Set(all)
        let floor = all.count / members.count
        var ceilingSlots = all.count % members.count

        // Keep previous ownership that is still valid, up to the quota. Members that held
        // the most keep first claim on the few `floor + 1` slots.
        var claimed = Set<TopicPartition>()
        let byPreviousSize = members.sorted { (previous[$0]?.count ?? 0, $1) > (previous[$1]?.count ?? 0, $0) }
        for member in byPreviousSize {
            let kept = (previous[member] ?? []).filter {
                valid.contains($0) && subscriptions[member]!.contains($0.topic) && !claimed.contains($0)
            }.sorted()
            var quota = floor
            if kept.count > floor && ceilingSlots > 0 {
                quota = floor + 1
                ceilingSlots -= 1
            }
            let keep = Array(kept.prefix(quota))
            result[member] = keep
            claimed.formUnion(keep)
        }

        // Hand out the rest, each to the eligible member with the fewest partitions.
        for partition in all where !claimed.contains(partition) {
            let eligible = members.filter { subscriptions[$0]!.contains(partition.topic) }
            guard let target = eligible.min(by: { (result[$0]!.count, $0) < (result[$1]!.count, $1) }) else { continue }
            result[target]!.append(partition)
        }
        return result.mapValues { $0.sorted() }
    }
}
