import WeirLog
import WeirValues

/// A batch as read from one partition of a topic, in place: each record's value, timestamp
/// and the record it makes (`FetchedBatch.records()` makes the same ones). A record read
/// from a topic holds its value in one field, `message` (`field`).
public struct TopicValues {
    let values: UnsafeBufferPointer<UInt8>
    let entries: UnsafeBufferPointer<FetchedBatch.Entry>
    let partition: TopicPartition

    /// The one field of a record read from a topic.
    public static let field = "message"

    public var count: Int { entries.count }

    /// Whether every value is ASCII.
    public var isASCII: Bool { Fields.isASCII(values) }

    public func timestamp(_ index: Int) -> Int64 { entries[index].timestamp }

    /// The value at `index`, in place.
    public func value(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: values[start(index)..<entries[index].end]))
    }

    /// The record of the value at `index`.
    public func record(_ index: Int) -> PipelineRecord {
        Self.record(entries[index], value: ArraySlice(values[start(index)..<entries[index].end]), of: partition)
    }

    private func start(_ index: Int) -> Int { index == 0 ? 0 : entries[index - 1].end }

    /// The record of `entry`, whose value is `value` (its message, kept as these bytes).
    static func record(_ entry: FetchedBatch.Entry, value: ArraySlice<UInt8>, of partition: TopicPartition) -> PipelineRecord {
        var fields = Fields(minimumCapacity: 8)
        fields.appendText(field, value)
        return PipelineRecord(
            key: entry.key, timestamp: entry.timestamp, headers: entry.headers, fields: fields,
            origin: RecordOrigin(topic: partition.topic, partition: partition.partition, offset: entry.offset))
    }
}
