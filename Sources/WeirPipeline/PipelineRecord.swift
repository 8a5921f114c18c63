public import WeirLog
public import WeirValues

/// A record as it moves through a pipeline's transforms: the log record's parts plus
/// the fields that parsing gives it. A line read by a source starts with one field,
/// `message`, holding the line: as the bytes it was read with until something reads it
/// as a string (a sink writing text copies them as they are).
public struct PipelineRecord: Sendable, Equatable {
    public var key: [UInt8]?
    public var timestamp: Int64
    public var headers: [RecordHeader]
    /// A record is always an object: its fields, in the order they were set.
    public var fields: Fields
    /// The log record it came from, when read from a topic (sinks use it to write
    /// idempotently).
    public var origin: RecordOrigin?

    public init(key: [UInt8]? = nil, timestamp: Int64, headers: [RecordHeader] = [], fields: Fields, origin: RecordOrigin? = nil) {
        self.key = key
        self.timestamp = timestamp
        self.headers = headers
        self.fields = fields
        self.origin = origin
    }

    /// A record made from a line (the value of a log record). Room for `capacity` fields
    /// is made at once: parsing usually adds several.
    public init(message: String, timestamp: Int64, key: [UInt8]? = nil, capacity: Int = 1) {
        var fields = Fields(minimumCapacity: capacity)
        fields["message"] = .string(message)
        self.init(key: key, timestamp: timestamp, fields: fields)
    }

    /// A record made from a line's bytes, kept as they are until read as a string.
    public init(message bytes: ArraySlice<UInt8>, timestamp: Int64, key: [UInt8]? = nil, capacity: Int = 1) {
        var fields = Fields(minimumCapacity: capacity)
        fields.setText("message", bytes)
        self.init(key: key, timestamp: timestamp, fields: fields)
    }

    /// Sets several fields at once.
    public mutating func merge(_ pairs: [(String, Value)]) {
        fields.merge(pairs)
    }

    public subscript(field name: String) -> Value? {
        get { fields[name] }
        set { fields[name] = newValue }
    }

    /// The fields as a value, for expressions.
    public var object: Value { .object(fields) }
}

/// Where a record was read: topic, partition and offset.
public struct RecordOrigin: Sendable, Equatable {
    public var topic: String
    public var partition: Int
    public var offset: Int64

    public init(topic: String, partition: Int, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

extension PipelineRecord {
    /// The record as a `json` sink writes it: its fields plus `_timestamp`, on one line.
    public var jsonLine: String { RecordEncoding.json.line(self) }
}
