/// A partition named by topic and number, as groups and offsets refer to it.
public struct TopicPartition: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var topic: String
    public var partition: Int

    public init(topic: String, partition: Int) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }

    public var description: String { "\(topic)/\(partition)" }
}
