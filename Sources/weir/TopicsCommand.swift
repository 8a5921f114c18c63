public import ArgumentParser
import WeirKafka
public import WeirLog

struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create, list, describe and delete topics.",
        subcommands: [Create.self, List.self, Describe.self, Delete.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var bootstrap: BootstrapOption
        @Argument(help: "Topic name: letters, digits, '.', '_' and '-', at most 249.") var name: String
        @Option(help: "Number of partitions.") var partitions: Int = 1
        @Option(help: "none or gzip.") var compression: CompressionCodec = .none
        @Option(name: .customLong("compression-level"), help: "gzip level 1 (fastest) to 9 (smallest).")
        var compressionLevel: Int = 1
        @Option(help: "always, interval or pagecache (see the README for what each promises).")
        var flush: FlushPolicy = .interval
        @Option(name: .customLong("flush-interval-ms"), help: "With --flush interval: fsync at least this often.")
        var flushIntervalMs: Int64 = 1000
        @Option(name: .customLong("flush-interval-bytes"), help: "With --flush interval: also fsync once this many bytes are unflushed.")
        var flushIntervalBytes: Int64?
        @Option(name: .customLong("segment-bytes"), help: "Roll a segment at this size.")
        var segmentBytes: Int64 = TopicConfig.defaultSegmentBytes
        @Option(name: .customLong("segment-ms"), help: "Roll a segment when its first record is this old.")
        var segmentMs: Int64 = TopicConfig.week
        @Option(
            name: .customLong("retention-bytes"), help: "Delete old segments while a partition is bigger than this (default: no limit).")
        var retentionBytes: Int64?
        @Option(
            name: .customLong("retention-ms"),
            help: "Delete segments whose newest record is older than this many ms, or 'forever' to keep them.")
        var retentionMs: Limit = .limit(TopicConfig.week)

        func run() throws {
            let config = TopicConfig(
                partitions: partitions, compression: compression, compressionLevel: compressionLevel,
                segmentBytes: segmentBytes, segmentMs: segmentMs, retentionBytes: retentionBytes,
                retentionMs: retentionMs.value, flush: flush,
                flushIntervalMs: flushIntervalMs, flushIntervalBytes: flushIntervalBytes)
            try RemoteAccess.run(
                bootstrap: bootstrap.bootstrap, dataDir: global.resolvedDataDirectory,
                local: { try global.withLog { log in _ = try log.createTopic(name, config: config) } },
                remote: { try $0.createTopic(name, config: config) })
            print("created topic \(name) with \(partitions) partition\(partitions == 1 ? "" : "s")")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topic names, one per line.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @OptionGroup var bootstrap: BootstrapOption

        struct Entry: Encodable {
            var name: String
            var partitions: Int
            var compression: String
        }

        func run() throws {
            let entries = try RemoteAccess.value(
                bootstrap: bootstrap.bootstrap, dataDir: global.resolvedDataDirectory,
                local: {
                    try global.withLog { log in
                        try log.topicNames.map { name in
                            let topic = try log.topic(name)
                            return Entry(name: name, partitions: topic.partitions.count, compression: "\(topic.config.compression)")
                        }
                    }
                },
                remote: { remote in
                    try remote.topicNames().map { Entry(name: $0, partitions: try remote.partitionCount($0), compression: "producer") }
                })
            if output.json { return try output.print(entries) }
            for entry in entries { print(entry.name) }
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a topic's configuration and each partition's offsets and size.",
            discussion: "Through a broker, sizes, segments and the incarnation are not known: '-' (null in JSON).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @OptionGroup var bootstrap: BootstrapOption
        @Argument var name: String

        struct Description: Encodable {
            var name: String
            /// Null (not left out) through a broker.
            var incarnation: String?
            var config: Config
            var partitions: [PartitionState]

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(name, forKey: .name)
                try container.encode(incarnation, forKey: .incarnation)
                try container.encode(config, forKey: .config)
                try container.encode(partitions, forKey: .partitions)
            }

            enum CodingKeys: String, CodingKey {
                case name, incarnation, config, partitions
            }
        }

        /// The topic's settings, named as in a pipeline file's `topics:`; `null` for no limit.
        struct Config: Encodable {
            var config: TopicConfig

            enum Keys: String, CodingKey {
                case partitions, compression, compressionLevel, flush, flushIntervalMs, flushIntervalBytes
                case segmentBytes, segmentMs, retentionBytes, retentionMs
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(config.partitions, forKey: .partitions)
                try container.encode("\(config.compression)", forKey: .compression)
                try container.encode(config.compressionLevel, forKey: .compressionLevel)
                try container.encode(config.flush.rawValue, forKey: .flush)
                try container.encode(config.flushIntervalMs, forKey: .flushIntervalMs)
                try container.encode(config.flushIntervalBytes, forKey: .flushIntervalBytes)
                try container.encode(config.segmentBytes, forKey: .segmentBytes)
                try container.encode(config.segmentMs, forKey: .segmentMs)
                try container.encode(config.retentionBytes, forKey: .retentionBytes)
                try container.encode(config.retentionMs, forKey: .retentionMs)
            }
        }

        struct PartitionState: Encodable {
            var partition: Int
            var startOffset: Int64
            var endOffset: Int64
            var records: Int64
            /// Null (not left out) through a broker, as `segments`.
            var sizeBytes: Int64?
            var segments: Int?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(partition, forKey: .partition)
                try container.encode(startOffset, forKey: .startOffset)
                try container.encode(endOffset, forKey: .endOffset)
                try container.encode(records, forKey: .records)
                try container.encode(sizeBytes, forKey: .sizeBytes)
                try container.encode(segments, forKey: .segments)
            }

            enum CodingKeys: String, CodingKey {
                case partition, startOffset, endOffset, records, sizeBytes, segments
            }
        }

        func run() throws {
            let description = try RemoteAccess.value(
                bootstrap: bootstrap.bootstrap, dataDir: global.resolvedDataDirectory,
                local: {
                    try global.withLog { log -> Description in
                        let topic = try log.topic(name)
                        return Description(
                            name: topic.name, incarnation: topic.incarnation, config: Config(config: topic.config),
                            partitions: try topic.partitions.map { p in
                                let (start, end) = (try p.startOffset, try p.endOffset)
                                return PartitionState(
                                    partition: p.id, startOffset: start, endOffset: end, records: end - start,
                                    sizeBytes: Int64(try p.sizeInBytes), segments: try p.segmentCount)
                            })
                    }
                },
                remote: { remote in
                    let topic = try remote.describe(name)
                    return Description(
                        name: topic.name, incarnation: nil, config: Config(config: topic.config),
                        partitions: topic.partitions.map { p in
                            PartitionState(partition: p.id, startOffset: p.start, endOffset: p.end, records: p.end - p.start)
                        })
                })
            if output.json { return try output.print(description) }
            let c = description.config.config
            var lines = [
                "topic: \(description.name)",
                "partitions: \(c.partitions)",
                "compression: \(c.compression)\(c.compression == .gzip ? " (level \(c.compressionLevel))" : "")",
                "flush: \(c.flush.rawValue)\(c.flush == .interval ? " (every \(c.flushIntervalMs) ms\(c.flushIntervalBytes.map { " or \($0) bytes" } ?? ""))" : "")",
                "segment: \(c.segmentBytes) bytes or \(c.segmentMs) ms",
                "retention: \(c.retentionBytes.map { "\($0) bytes" } ?? "no size limit"), \(c.retentionMs.map { "\($0) ms" } ?? "no age limit")",
                "partition  start-offset  end-offset  records  size-bytes  segments",
            ]
            for p in description.partitions {
                lines.append(
                    "\(p.partition)".padded(9) + "  " + "\(p.startOffset)".padded(12) + "  " + "\(p.endOffset)".padded(10) + "  "
                        + "\(p.records)".padded(7) + "  " + (p.sizeBytes.map(String.init) ?? "-").padded(10) + "  "
                        + (p.segments.map(String.init) ?? "-"))
            }
            print(lines.joined(separator: "\n"))
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic, its data and its committed group offsets.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var bootstrap: BootstrapOption
        @Argument var name: String

        func run() throws {
            try RemoteAccess.run(
                bootstrap: bootstrap.bootstrap, dataDir: global.resolvedDataDirectory,
                local: { try global.withLog { try $0.deleteTopic(name) } },
                remote: { try $0.deleteTopic(name) })
            print("deleted topic \(name)")
        }
    }
}

extension CompressionCodec: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.description) }
}

extension FlushPolicy: ExpressibleByArgument {}

/// A number, or `forever` for no limit.
enum Limit: ExpressibleByArgument {
    case limit(Int64)
    case forever

    init?(argument: String) {
        if argument == "forever" || argument == "-1" {
            self = .forever
        } else if let value = Int64(argument), value >= 0 {
            self = .limit(value)
        } else {
            return nil
        }
    }

    var value: Int64? {
        if case .limit(let value) = self { return value }
        return nil
    }

    var defaultValueDescription: String { value.map(String.init) ?? "forever" }
}

extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
