public import WeirLog
public import WeirValues

/// A record as it moves through a pipeline's transforms: the log record's parts plus
/// the fields that parsing gives it. A line read by a source starts with one field,
/// `message`, holding the line.
public struct PipelineRecord: Sendable, Equatable {
    public var key: [UInt8]?
    public var timestamp: Int64
    public var headers: [RecordHeader]
    /// Always an `object`.
    public var fields: Value
    /// The log record it came from, when read from a topic (sinks use it to write
    /// idempotently).
    public var origin: RecordOrigin?

    public init(key: [UInt8]? = nil, timestamp: Int64, headers: [RecordHeader] = [], fields: [String: Value]) {
        self.key = key
        self.timestamp = timestamp
        self.headers = headers
        self.fields = .object(fields)
    }

    /// A record made from a line (the value of a log record). Room for `capacity` fields
    /// is made at once: parsing usually adds several.
    public init(message: String, timestamp: Int64, key: [UInt8]? = nil, capacity: Int = 1) {
        var fields = [String: Value](minimumCapacity: capacity)
        fields["message"] = .string(message)
        self.init(key: key, timestamp: timestamp, fields: fields)
    }

    /// Sets several fields at once, growing the fields' storage once.
    public mutating func merge(_ pairs: [(String, Value)]) {
        guard case .object(var all) = fields else { return }
        fields = .null
        all.reserveCapacity(all.count + pairs.count)
        for (name, value) in pairs { all[name] = value }
        fields = .object(all)
    }

    public subscript(field name: String) -> Value? {
        get { fields[path: [name]] }
        set {
            guard case .object(var all) = fields else { return }
            // Let go of the record's reference first, so the dictionary is changed in
            // place instead of copied for every field set.
            fields = .null
            all[name] = newValue
            fields = .object(all)
        }
    }
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
