public import WeirLog

/// One of a topic's settings under its Kafka name, as DescribeConfigs lists it.
public struct KafkaConfigEntry: Sendable, Equatable {
    public var name: String
    public var value: String
    /// The value is what a topic made with Weir's defaults (`TopicConfig()`) has:
    /// DescribeConfigs' DEFAULT_CONFIG rather than DYNAMIC_TOPIC_CONFIG.
    public var isDefault: Bool

    public init(name: String, value: String, isDefault: Bool) {
        self.name = name
        self.value = value
        self.isDefault = isDefault
    }
}

/// A topic config Weir cannot take: which one, the value given, and why. CreateTopics
/// answers it with INVALID_CONFIG and `description` as the message.
public struct KafkaConfigError: Error, Equatable, CustomStringConvertible {
    public var name: String
    /// nil when the request sent a null value.
    public var value: String?
    public var reason: String

    public init(name: String, value: String?, reason: String) {
        self.name = name
        self.value = value
        self.reason = reason
    }

    public var description: String {
        "invalid topic config \(name)=\(value.map { "'\($0)'" } ?? "null"): \(reason)"
    }
}

/// The mapping between Weir's `TopicConfig` and Kafka's topic config names, for
/// DescribeConfigs (what a topic has) and CreateTopics (what a client asks for).
///
/// - `cleanup.policy` is always `delete`: Weir deletes old segments and never compacts.
/// - `retention.ms`, `retention.bytes`: -1 is Weir's nil (keep forever, no size limit).
/// - `compression.type`: Weir stores a Kafka client's batches as they arrive, which is
///   Kafka's `producer`; so codec none is `producer` (Kafka's default as well). gzip is
///   `gzip`, the codec Weir's own producers write (a Kafka client's batches are still
///   stored as sent). `uncompressed` is taken as none; snappy, lz4 and zstd are refused.
///   `compression.gzip.level` (Kafka 3.8+) is Weir's compression level.
/// - `flush.messages`, `flush.ms` as Kafka means them (fsync after this many records, after
///   this many ms; Long.MAX for never): `always` is flush.messages=1, `interval` is
///   flush.ms=<interval>, `pagecache` is both Long.MAX. `weir.flush.interval.bytes` is
///   Weir's own (the interval's byte trigger; -1 for none).
/// - `max.message.bytes` is the listener's batch limit, the same for every topic.
/// - `min.insync.replicas` is 1: Weir keeps one replica.
public enum KafkaConfigNames {
    public static let cleanupPolicy = "cleanup.policy"
    public static let compressionGzipLevel = "compression.gzip.level"
    public static let compressionType = "compression.type"
    public static let flushMessages = "flush.messages"
    public static let flushMs = "flush.ms"
    public static let maxMessageBytes = "max.message.bytes"
    public static let minInsyncReplicas = "min.insync.replicas"
    public static let retentionBytes = "retention.bytes"
    public static let retentionMs = "retention.ms"
    public static let segmentBytes = "segment.bytes"
    public static let segmentMs = "segment.ms"
    public static let weirFlushIntervalBytes = "weir.flush.interval.bytes"

    /// Every name `entries(for:)` lists and `applying(_:to:)` takes, in that order.
    public static let names = [
        cleanupPolicy, compressionGzipLevel, compressionType, flushMessages, flushMs, maxMessageBytes, minInsyncReplicas,
        retentionBytes, retentionMs, segmentBytes, segmentMs, weirFlushIntervalBytes,
    ]

    /// Kafka's default `max.message.bytes`: 1 MiB plus a batch's 12-byte log overhead.
    public static let defaultBatchLimit = 1_048_588

    /// Kafka's Long.MAX, which `flush.messages` and `flush.ms` use for "never".
    static let never = Int64.max

    // MARK: Weir to Kafka

    /// A topic's settings under Kafka's names, in the order of `names`.
    /// - Parameter batchLimit: the largest batch the listener accepts (`max.message.bytes`).
    public static func entries(for config: TopicConfig, batchLimit: Int = defaultBatchLimit) -> [KafkaConfigEntry] {
        let defaults = values(for: TopicConfig(), batchLimit: batchLimit)
        return zip(values(for: config, batchLimit: batchLimit), defaults).map { entry, defaultEntry in
            KafkaConfigEntry(name: entry.name, value: entry.value, isDefault: entry.value == defaultEntry.value)
        }
    }

    private static func values(for config: TopicConfig, batchLimit: Int) -> [(name: String, value: String)] {
        let flush = kafkaFlush(config)
        return [
            (cleanupPolicy, "delete"),
            (compressionGzipLevel, String(config.compressionLevel)),
            (compressionType, config.compression == .gzip ? "gzip" : "producer"),
            (flushMessages, String(flush.messages)),
            (flushMs, String(flush.ms)),
            (maxMessageBytes, String(batchLimit)),
            (minInsyncReplicas, "1"),
            (retentionBytes, String(config.retentionBytes ?? -1)),
            (retentionMs, String(config.retentionMs ?? -1)),
            (segmentBytes, String(config.segmentBytes)),
            (segmentMs, String(config.segmentMs)),
            (weirFlushIntervalBytes, String(config.flushIntervalBytes ?? -1)),
        ]
    }

    /// Weir's flush policy as Kafka's (flush.messages, flush.ms).
    private static func kafkaFlush(_ config: TopicConfig) -> (messages: Int64, ms: Int64) {
        switch config.flush {
        case .always: (1, never)
        case .interval: (never, config.flushIntervalMs)
        case .pagecache: (never, never)
        }
    }

    // MARK: Kafka to Weir

    /// `base` with the settings a client gave under Kafka's names (CreateTopics' configs).
    /// Later entries override earlier ones with the same name. `flush.messages` and
    /// `flush.ms` are read together, over what `base` has, so either alone works.
    /// - Parameter batchLimit: the listener's batch limit; a larger `max.message.bytes` is
    ///   refused, a smaller one is accepted but not enforced per topic.
    /// - Throws: `KafkaConfigError` for an unknown name, a null value, or a value Weir
    ///   cannot take.
    public static func applying(
        _ configs: [(name: String, value: String?)], to base: TopicConfig, batchLimit: Int = defaultBatchLimit
    ) throws(KafkaConfigError) -> TopicConfig {
        var config = base
        var flushMessagesGiven: Int64?
        var flushMsGiven: Int64?
        for (name, value) in configs {
            // Kafka refuses null topic config values too.
            guard let value else { throw KafkaConfigError(name: name, value: nil, reason: "a null value is not supported") }
            let field = Field(name: name, value: value)
            switch name {
            case cleanupPolicy:
                guard value == "delete" else { throw field.error("Weir deletes old segments and never compacts: only delete is supported") }
            case compressionGzipLevel:
                let level = try field.integer(in: -1...9, "1…9, or -1 for zlib's default (6)")
                guard level != 0 else { throw field.error("must be 1…9, or -1 for zlib's default (6)") }
                config.compressionLevel = level == -1 ? 6 : Int(level)
            case compressionType:
                config.compression = try compression(field)
            case flushMessages:
                flushMessagesGiven = try field.integer(in: 1...never, "at least 1")
            case flushMs:
                flushMsGiven = try field.integer(
                    in: 1...never, "at least 1 (flush.messages=1 fsyncs every batch instead)")
            case maxMessageBytes:
                let bytes = try field.integer(in: 0...Int64(Int32.max), "0…2147483647")
                guard bytes <= batchLimit else {
                    throw field.error("Weir accepts batches up to \(batchLimit) bytes on every topic and cannot raise that per topic")
                }
            case minInsyncReplicas:
                guard try field.integer(in: 1...Int64(Int32.max), "at least 1") == 1 else {
                    throw field.error("Weir keeps one replica of each partition")
                }
            case retentionBytes:
                let bytes = try field.integer(in: -1...Int64.max, "-1 (no limit) or at least 0")
                config.retentionBytes = bytes == -1 ? nil : bytes
            case retentionMs:
                let ms = try field.integer(in: -1...Int64.max, "-1 (keep forever) or at least 0")
                config.retentionMs = ms == -1 ? nil : ms
            case segmentBytes:
                // Weir's index holds 32-bit positions, and a segment is at least 1 KiB.
                config.segmentBytes = try field.integer(in: 1024...Int64(Int32.max), "1024…2147483647")
            case segmentMs:
                config.segmentMs = try field.integer(in: 1...Int64.max, "at least 1")
            case weirFlushIntervalBytes:
                let bytes = try field.integer(in: -1...Int64.max, "-1 (none) or at least 1")
                guard bytes != 0 else { throw field.error("must be -1 (none) or at least 1") }
                config.flushIntervalBytes = bytes == -1 ? nil : bytes
            default:
                throw field.error("not a topic config Weir knows; it takes \(names.joined(separator: ", "))")
            }
        }
        if flushMessagesGiven != nil || flushMsGiven != nil {
            let current = kafkaFlush(base)
            let messages = flushMessagesGiven ?? current.messages
            let ms = flushMsGiven ?? current.ms
            if messages == 1 {
                config.flush = .always
                if ms != never { config.flushIntervalMs = ms }
            } else if messages != never {
                throw KafkaConfigError(
                    name: flushMessages, value: String(messages),
                    reason: "Weir fsyncs every batch (1), on an interval (flush.ms) or only at segment rolls (\(never))")
            } else if ms != never {
                config.flush = .interval
                config.flushIntervalMs = ms
            } else {
                config.flush = .pagecache
            }
        }
        return config
    }

    private static func compression(_ field: Field) throws(KafkaConfigError) -> CompressionCodec {
        switch field.value {
        case "producer", "uncompressed": .none
        case "gzip": .gzip
        case "snappy", "lz4", "zstd": throw field.error("Weir compresses with gzip only: use producer, uncompressed or gzip")
        default: throw field.error("not a compression type; Kafka's are uncompressed, zstd, lz4, snappy, gzip and producer")
        }
    }

    /// A name and value being applied, for parsing and errors that name both.
    private struct Field {
        let name: String
        let value: String

        func error(_ reason: String) -> KafkaConfigError {
            KafkaConfigError(name: name, value: value, reason: reason)
        }

        /// A decimal integer (Kafka's INT and LONG) in `range`, whose text is `expected`.
        func integer(in range: ClosedRange<Int64>, _ expected: String) throws(KafkaConfigError) -> Int64 {
            guard let number = Int64(value) else { throw error("not an integer; must be \(expected)") }
            guard range.contains(number) else { throw error("must be \(expected)") }
            return number
        }
    }
}
