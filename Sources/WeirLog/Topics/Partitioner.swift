/// Chooses a partition for each record: murmur2 of the key as Kafka does, and
/// round-robin for records without a key so partitions fill evenly.
public struct Partitioner: Sendable {
    public let partitionCount: Int
    private var next: Int = 0

    public init(partitionCount: Int) {
        precondition(partitionCount > 0)
        self.partitionCount = partitionCount
    }

    /// `toPositive(murmur2(key)) % partitions`, exactly as Kafka's Java client.
    public static func partition(forKey key: UnsafeRawBufferPointer, partitionCount: Int) -> Int {
        Int(Murmur2.toPositive(Murmur2.hash(key))) % partitionCount
    }

    public mutating func partition(forKey key: UnsafeRawBufferPointer?) -> Int {
        if let key { return Self.partition(forKey: key, partitionCount: partitionCount) }
        let chosen = next
        next = (next + 1) % partitionCount
        return chosen
    }
}
