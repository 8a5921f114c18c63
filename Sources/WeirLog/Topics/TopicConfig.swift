/// A topic's settings, stored as `topic.json` next to its partitions.
public struct TopicConfig: Sendable, Codable, Equatable {
    public var partitions: Int
    public var compression: CompressionCodec
    /// zlib level 1–9 for gzip. 1 is the default: several times faster than 6 for a modest size cost.
    public var compressionLevel: Int
    /// A segment rolls when it would grow past this many bytes.
    public var segmentBytes: Int64
    /// A segment rolls when its first record is older than this.
    public var segmentMs: Int64
    /// Oldest segments are deleted while the partition is bigger than this (nil: no limit).
    public var retentionBytes: Int64?
    /// Segments whose newest record is older than this are deleted (nil: keep forever).
    public var retentionMs: Int64?
    public var flush: FlushPolicy
    public var flushIntervalMs: Int64
    /// With `interval`, also fsync once this many bytes are unflushed (nil: time only).
    public var flushIntervalBytes: Int64?
    /// On a cluster, how many brokers keep each partition (nil: 1). The embedded log keeps
    /// one copy and ignores it.
    public var replicationFactor: Int?

    public static let defaultSegmentBytes: Int64 = 128 << 20
    public static let week: Int64 = 7 * 24 * 3600 * 1000

    public init(
        partitions: Int = 1,
        compression: CompressionCodec = .none,
        compressionLevel: Int = 1,
        segmentBytes: Int64 = TopicConfig.defaultSegmentBytes,
        segmentMs: Int64 = TopicConfig.week,
        retentionBytes: Int64? = nil,
        retentionMs: Int64? = TopicConfig.week,
        flush: FlushPolicy = .interval,
        flushIntervalMs: Int64 = 1000,
        flushIntervalBytes: Int64? = nil
    ) {
        self.partitions = partitions
        self.compression = compression
        self.compressionLevel = compressionLevel
        self.segmentBytes = segmentBytes
        self.segmentMs = segmentMs
        self.retentionBytes = retentionBytes
        self.retentionMs = retentionMs
        self.flush = flush
        self.flushIntervalMs = flushIntervalMs
        self.flushIntervalBytes = flushIntervalBytes
    }

    public func validate() throws {
        guard (1...10_000).contains(partitions) else {
            throw WeirLogError.invalidConfig("partitions must be 1…10000, got \(partitions)")
        }
        guard (1...9).contains(compressionLevel) else {
            throw WeirLogError.invalidConfig("compression level must be 1…9, got \(compressionLevel)")
        }
        guard segmentBytes >= 1024 else {
            throw WeirLogError.invalidConfig("segment bytes must be at least 1024, got \(segmentBytes)")
        }
        guard segmentBytes <= Int64(Int32.max) else {
            throw WeirLogError.invalidConfig("segment bytes must fit the index's 32-bit positions (≤ 2 GiB)")
        }
        guard segmentMs > 0 else { throw WeirLogError.invalidConfig("segment ms must be positive") }
        if let retentionBytes, retentionBytes < 0 {
            throw WeirLogError.invalidConfig("retention bytes must not be negative")
        }
        if let retentionMs, retentionMs < 0 { throw WeirLogError.invalidConfig("retention ms must not be negative") }
        guard flushIntervalMs > 0 else { throw WeirLogError.invalidConfig("flush interval ms must be positive") }
    }
}
