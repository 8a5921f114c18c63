/// Decides which group member owns which partition. Every partition of a subscribed
/// topic goes to exactly one member subscribed to that topic.
public protocol Assignor: Sendable {
    var name: String { get }
    /// - Parameters:
    ///   - subscriptions: each member's subscribed topics.
    ///   - partitionCounts: the number of partitions of each topic.
    ///   - previous: the assignment of the last generation (only `sticky` uses it).
    func assign(
        subscriptions: [String: Set<String>],
        partitionCounts: [String: Int],
        previous: [String: [TopicPartition]]
    ) -> [String: [TopicPartition]]
}

/// The assignors a group can be asked to use, by their Kafka names.
public enum AssignmentStrategy: String, Sendable, CaseIterable, Codable {
    case range, roundrobin, sticky

    public var assignor: any Assignor {
        switch self {
        case .range: RangeAssignor()
        case .roundrobin: RoundRobinAssignor()
        case .sticky: StickyAssignor()
        }
    }
}

extension Assignor {
    /// Every partition some member subscribes to, sorted.
    func subscribedPartitions(_ subscriptions: [String: Set<String>], _ counts: [String: Int]) -> [TopicPartition] {
        let topics = Set(subscriptions.values.flatMap { $0 })
        return topics.sorted().flatMap { topic in
            (0..<(counts[topic] ?? 0)).map { TopicPartition(topic: topic, partition: $0) }
        }
    }
}
