import ArgumentParser
import WeirKafka
import WeirLog
import WeirPipeline

struct GroupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "List and describe consumer groups, and move their committed offsets.",
        subcommands: [List.self, Describe.self, ResetOffsets.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List groups with committed offsets, one per line.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @OptionGroup var bootstrap: BootstrapOption

        func run() throws {
            let names = try RemoteAccess.value(
                bootstrap: bootstrap.bootstrap, dataDir: global.resolvedDataDirectory,
                local: { try global.withLog { $0.groups.groupNames } },
                remote: { try $0.groupNames() })
            if output.json { return try output.print(names.map { ["name": $0] }) }
            for name in names { print(name) }
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per partition of the group's topics: committed offset ('-' where none), end offset and lag.",
            discussion: "Where nothing was committed, the lag counts from the partition's start offset.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @OptionGroup var bootstrap: BootstrapOption
        @Argument var group: String

        struct Description: Encodable {
            var group: String
            var partitions: [Row]
        }

        struct Row: Encodable {
            var topic: String
            var partition: Int
            /// Null (not left out) where the group committed nothing.
            var committed: Int64?
            var end: Int64
            var lag: Int64

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(topic, forKey: .topic)
                try container.encode(partition, forKey: .partition)
                try container.encode(committed, forKey: .committed)
                try container.encode(end, forKey: .end)
                try container.encode(lag, forKey: .lag)
            }

            enum CodingKeys: String, CodingKey {
                case topic, partition, committed, end, lag
            }
        }

        func run() throws {
            let rows = try RemoteAccess.value(
                bootstrap: bootstrap.bootstrap, dataDir: global.resolvedDataDirectory,
                local: { try global.withLog { try $0.describeGroup(group) } },
                remote: { remote in
                    try remote.committedOffsets(group).map { entry in
                        let end = try remote.offset(entry.topic, partition: entry.partition, timestamp: -1)
                        return GroupPartitionState(
                            topic: entry.topic, partition: entry.partition, committed: entry.offset, end: end,
                            lag: max(0, end - entry.offset))
                    }
                })
            guard !rows.isEmpty else { throw WeirLogError.unknownGroup(group) }
            if output.json {
                return try output.print(
                    Description(
                        group: group,
                        partitions: rows.map {
                            Row(topic: $0.topic, partition: $0.partition, committed: $0.committed, end: $0.end, lag: $0.lag)
                        }))
            }
            print("topic".padded(20) + "  partition  committed   end         lag")
            for row in rows {
                print(
                    row.topic.padded(20) + "  " + "\(row.partition)".padded(9) + "  " + (row.committed.map(String.init) ?? "-").padded(10)
                        + "  " + "\(row.end)".padded(10) + "  \(row.lag)")
            }
        }
    }

    struct ResetOffsets: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets", abstract: "Set a group's committed offsets for a topic (the group must be idle).",
            discussion: """
                A sink's own checkpoint (pipelines/<name>/sink-<id>.checkpoint) is moved too. A group read by a `file` sink is \
                refused: its checkpoint commits the offsets with the length of its output, so moving them alone would write \
                records twice or skip them; remove that checkpoint (weir stopped) to write the output again from the start.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var bootstrap: BootstrapOption
        @Argument var group: String
        @Option(help: "The topic whose offsets to reset.") var topic: String
        @Option(help: "earliest, latest or an offset.") var to: String
        @Option(help: "Only this partition (default: all).") var partition: Int?

        func validate() throws {
            guard ["earliest", "latest"].contains(to) || Int64(to) != nil else {
                throw ValidationError("--to takes earliest, latest or an offset, not '\(to)'")
            }
        }

        /// Through a broker the sinks' checkpoints move in the Weir that serves it (its log
        /// names them); this prints the offsets only.
        func run() throws {
            let (offsets, checkpoints) = try RemoteAccess.value(
                bootstrap: bootstrap.bootstrap, dataDir: global.resolvedDataDirectory,
                local: {
                    try global.withLog { log -> ([TopicPartition: Int64], [String]) in
                        let topic = try log.topic(self.topic)
                        let partitions = try partition.map { [try topic.partition($0)] } ?? topic.partitions
                        let offsets = try target(partitions.map { ($0.id, try $0.startOffset, try $0.endOffset) })
                        return (offsets, try GroupOffsetReset.reset(group: group, offsets: offsets, log: log))
                    }
                },
                remote: { remote in
                    let count = try remote.partitionCount(topic)
                    if let partition, !(0..<count).contains(partition) {
                        throw RemoteAccess.Refused(
                            description: "topic '\(topic)' has \(count) partitions; there is no partition \(partition)")
                    }
                    let partitions = try (partition.map { [$0] } ?? Array(0..<count)).map { id in
                        (id, try remote.offset(topic, partition: id, timestamp: -2), try remote.offset(topic, partition: id, timestamp: -1))
                    }
                    let offsets = try target(partitions)
                    try remote.resetOffsets(group: group, offsets: offsets)
                    return (offsets, [])
                })
            for (key, offset) in offsets.sorted(by: { $0.key < $1.key }) { print("\(key): \(offset)") }
            for path in checkpoints { print("moved in the sink's checkpoint too: \(path)") }
        }

        /// The offset `--to` names in each partition (id, start, end).
        private func target(_ partitions: [(id: Int, start: Int64, end: Int64)]) throws -> [TopicPartition: Int64] {
            var offsets: [TopicPartition: Int64] = [:]
            for p in partitions {
                let key = TopicPartition(topic: topic, partition: p.id)
                switch to {
                case "earliest": offsets[key] = p.start
                case "latest": offsets[key] = p.end
                default:
                    let offset = Int64(to) ?? -1
                    guard offset >= p.start, offset <= p.end else {
                        throw WeirLogError.offsetOutOfRange(topic: topic, partition: p.id, offset: offset, start: p.start, end: p.end)
                    }
                    offsets[key] = offset
                }
            }
            return offsets
        }
    }
}
