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

/// A dictionary keyed by partitions is coded as an object keyed "topic/partition" (a sink's
/// checkpoint holds its offsets so).
extension TopicPartition: CodingKeyRepresentable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public var codingKey: any CodingKey { Key(stringValue: description) }

    public init?<T: CodingKey>(codingKey: T) {
        let key = codingKey.stringValue
        guard let slash = key.lastIndex(of: "/"), let partition = Int(key[key.index(after: slash)...]), partition >= 0 else { return nil }
        self.init(topic: String(key[..<slash]), partition: partition)
    }
}
