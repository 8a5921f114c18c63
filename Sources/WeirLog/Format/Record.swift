import Glibc

/// One record as it is appended: key and value (either may be null), timestamp, headers.
public struct Record: Sendable, Hashable {
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// Milliseconds since the Unix epoch (Kafka's CreateTime).
    public var timestamp: Int64
    public var headers: [RecordHeader]

    public init(key: [UInt8]? = nil, value: [UInt8]?, timestamp: Int64, headers: [RecordHeader] = []) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
    }
}

/// A record header: a UTF-8 key and a value that may be null.
public struct RecordHeader: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// A record read back from a partition, with its place in the log.
public struct ConsumedRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int
    public var offset: Int64
    public var record: Record

    public init(topic: String, partition: Int, offset: Int64, record: Record) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.record = record
    }
}

/// Milliseconds since the Unix epoch, now.
public func currentTimeMillis() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
