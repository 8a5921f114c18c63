public import WeirLog

/// A record as it moves through a pipeline's transforms: the log record's parts plus
/// the fields that parsing gives it. A line read by a source starts with one field,
/// `message`, holding the line.
public struct PipelineRecord: Sendable, Equatable {
    public var key: [UInt8]?
    public var timestamp: Int64
    public var headers: [RecordHeader]
    /// Always an `object`.
    public var fields: Value

    public init(key: [UInt8]? = nil, timestamp: Int64, headers: [RecordHeader] = [], fields: [String: Value]) {
        self.key = key
        self.timestamp = timestamp
        self.headers = headers
        self.fields = .object(fields)
    }

    /// A record made from a line (the value of a log record).
    public init(message: String, timestamp: Int64, key: [UInt8]? = nil) {
        self.init(key: key, timestamp: timestamp, fields: ["message": .string(message)])
    }

    public subscript(field name: String) -> Value? {
        get { fields[path: [name]] }
        set {
            guard case .object(var all) = fields else { return }
            all[name] = newValue
            fields = .object(all)
        }
    }
}
