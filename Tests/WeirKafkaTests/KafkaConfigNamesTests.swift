import Testing
import WeirKafka
import WeirLog

@Suite struct KafkaConfigNamesTests {
    static let longMax = "9223372036854775807"

    private func values(_ entries: [KafkaConfigEntry]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.value) })
    }

    @Test("Weir's default topic lists Kafka's names with Weir's defaults, all marked default")
    func defaults() {
        let entries = KafkaConfigNames.entries(for: TopicConfig())
        #expect(entries.map(\.name) == KafkaConfigNames.names)
        #expect(entries.allSatisfy { $0.isDefault })
        #expect(
            values(entries) == [
                "cleanup.policy": "delete",
                "compression.gzip.level": "1",
                "compression.type": "producer",
                "flush.messages": Self.longMax,
                "flush.ms": "1000",
                "max.message.bytes": "1048588",
                "min.insync.replicas": "1",
                "retention.bytes": "-1",
                "retention.ms": "604800000",
                "segment.bytes": "134217728",
                "segment.ms": "604800000",
                "weir.flush.interval.bytes": "-1",
            ])
    }

    @Test("settings that differ from Weir's defaults are marked so, and the batch limit is the listener's")
    func changedSettings() {
        let config = TopicConfig(
            partitions: 6, compression: .gzip, compressionLevel: 5, segmentBytes: 1 << 20, segmentMs: 3_600_000,
            retentionBytes: 1 << 30, retentionMs: nil, flush: .interval, flushIntervalMs: 250, flushIntervalBytes: 65536)
        let entries = KafkaConfigNames.entries(for: config, batchLimit: 8 << 20)
        let changed = Dictionary(uniqueKeysWithValues: entries.filter { !$0.isDefault }.map { ($0.name, $0.value) })
        #expect(
            changed == [
                "compression.gzip.level": "5",
                "compression.type": "gzip",
                "flush.ms": "250",
                "retention.bytes": "1073741824",
                "retention.ms": "-1",
                "segment.bytes": "1048576",
                "segment.ms": "3600000",
                "weir.flush.interval.bytes": "65536",
            ])
        #expect(
            entries.first { $0.name == "max.message.bytes" }
                == KafkaConfigEntry(name: "max.message.bytes", value: "8388608", isDefault: true))
    }

    @Test(
        "each flush policy is Kafka's flush.messages and flush.ms",
        arguments: [
            (FlushPolicy.always, "1", longMax),
            (.interval, longMax, "1000"),
            (.pagecache, longMax, longMax),
        ])
    func flushPolicies(policy: FlushPolicy, messages: String, ms: String) throws {
        let entries = values(KafkaConfigNames.entries(for: TopicConfig(flush: policy)))
        #expect(entries["flush.messages"] == messages)
        #expect(entries["flush.ms"] == ms)
        // And back, from a base with another policy.
        let base = TopicConfig(flush: policy == .interval ? .always : .interval)
        let applied = try KafkaConfigNames.applying([("flush.messages", messages), ("flush.ms", ms)], to: base)
        #expect(applied.flush == policy)
    }

    @Test(
        "what a topic lists applies back to the same topic",
        arguments: [
            TopicConfig(),
            TopicConfig(
                compression: .gzip, compressionLevel: 9, segmentBytes: 1024, segmentMs: 1, retentionBytes: 0, retentionMs: nil,
                flush: .interval, flushIntervalMs: 5, flushIntervalBytes: 1),
            TopicConfig(retentionBytes: 500, retentionMs: 0, flush: .always),
            TopicConfig(segmentBytes: Int64(Int32.max), flush: .pagecache),
        ])
    func roundTrip(config: TopicConfig) throws {
        let pairs = KafkaConfigNames.entries(for: config).map { (name: $0.name, value: Optional($0.value)) }
        #expect(try KafkaConfigNames.applying(pairs, to: TopicConfig()) == config)
    }

    @Test("values are read as Kafka means them")
    func applyingValues() throws {
        let base = TopicConfig()
        func apply(_ name: String, _ value: String, to config: TopicConfig = TopicConfig()) throws -> TopicConfig {
            try KafkaConfigNames.applying([(name, value)], to: config)
        }
        #expect(try apply("retention.ms", "-1").retentionMs == nil)
        #expect(try apply("retention.ms", "86400000").retentionMs == 86_400_000)
        #expect(try apply("retention.bytes", "-1", to: TopicConfig(retentionBytes: 9)).retentionBytes == nil)
        #expect(try apply("compression.type", "uncompressed", to: TopicConfig(compression: .gzip)).compression == .none)
        #expect(try apply("compression.type", "producer", to: TopicConfig(compression: .gzip)).compression == .none)
        #expect(try apply("compression.gzip.level", "-1").compressionLevel == 6)
        #expect(try apply("cleanup.policy", "delete") == base)
        #expect(try apply("min.insync.replicas", "1") == base)
        #expect(try apply("max.message.bytes", "1000") == base)
        // flush.ms alone keeps the interval policy and sets the interval.
        #expect(try apply("flush.ms", "200") == TopicConfig(flush: .interval, flushIntervalMs: 200))
        // flush.ms = never with flush.messages still at Kafka's never: only at segment rolls.
        #expect(try apply("flush.ms", Self.longMax).flush == .pagecache)
        // flush.messages=1 is fsync per batch, whatever flush.ms says.
        #expect(try apply("flush.messages", "1").flush == .always)
        #expect(try apply("flush.ms", "300", to: TopicConfig(flush: .always)) == TopicConfig(flush: .always, flushIntervalMs: 300))
        #expect(try apply("flush.messages", Self.longMax, to: TopicConfig(flush: .always)).flush == .pagecache)
        // The last of a repeated name wins.
        #expect(try KafkaConfigNames.applying([("segment.ms", "5"), ("segment.ms", "6")], to: base).segmentMs == 6)
        // Nothing given, nothing changed.
        #expect(try KafkaConfigNames.applying([], to: base) == base)
    }

    @Test(
        "an unknown name, a null or a value Weir cannot take is refused with the name, the value and why",
        arguments: [
            ("message.timestamp.type", "CreateTime", "not a topic config Weir knows"),
            ("cleanup.policy", "compact", "never compacts"),
            ("cleanup.policy", "compact,delete", "never compacts"),
            ("compression.type", "zstd", "gzip only"),
            ("compression.type", "brotli", "not a compression type"),
            ("compression.gzip.level", "0", "1…9"),
            ("compression.gzip.level", "10", "1…9"),
            ("retention.ms", "-2", "-1 (keep forever)"),
            ("retention.ms", "a week", "not an integer"),
            ("retention.bytes", "1.5", "not an integer"),
            ("segment.bytes", "100", "1024…2147483647"),
            ("segment.bytes", "4294967296", "1024…2147483647"),
            ("segment.ms", "0", "at least 1"),
            ("flush.messages", "0", "at least 1"),
            ("flush.messages", "10000", "every batch (1)"),
            ("flush.ms", "0", "at least 1"),
            ("max.message.bytes", "2000000", "batches up to 1048588 bytes"),
            ("min.insync.replicas", "2", "one replica"),
            ("weir.flush.interval.bytes", "0", "-1 (none) or at least 1"),
        ])
    func refused(name: String, value: String, reason: String) {
        do {
            _ = try KafkaConfigNames.applying([("retention.ms", "1000"), (name, value)], to: TopicConfig())
            Issue.record("\(name)=\(value) was accepted")
        } catch {
            #expect(error.name == name)
            #expect(error.value == value)
            #expect(error.reason.contains(reason))
            #expect(error.description.hasPrefix("invalid topic config \(name)='\(value)': "))
        }
    }

    @Test("a null value is refused, as Kafka does")
    func nullValue() {
        #expect(throws: KafkaConfigError(name: "retention.ms", value: nil, reason: "a null value is not supported")) {
            try KafkaConfigNames.applying([("retention.ms", nil)], to: TopicConfig())
        }
        let error = KafkaConfigError(name: "retention.ms", value: nil, reason: "a null value is not supported")
        #expect(error.description == "invalid topic config retention.ms=null: a null value is not supported")
    }
}
