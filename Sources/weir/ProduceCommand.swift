import ArgumentParser
import Glibc
import WeirLog

struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Append every line of standard input to a topic as one record.",
        discussion: """
            A line ends at \\n or \\r\\n (neither is stored); a last line without a newline counts too. \
            Lines are batched; the command exits 0 once everything it read is appended \
            (and as durable as the topic's flush policy promises).
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The topic to append to.") var topic: String
    @Option(help: "Use this text as every record's key.") var key: String?
    @Option(name: .customLong("key-field"), help: "Take each record's key from this top-level field of the JSON line.")
    var keyField: String?
    @Option(help: "Append everything to this partition instead of partitioning by key.") var partition: Int?
    @Flag(name: .customLong("print-offsets"), help: "After each acknowledged append print: partition, base offset, record count.")
    var printOffsets = false
    @Flag(help: "Create the topic if it does not exist (with --partitions, default 1, and the defaults of `weir topics create`).")
    var create = false
    @Option(help: "With --create: the new topic's number of partitions.") var partitions: Int?
    @Option(
        help: ArgumentHelp(
            "Append through this Kafka-protocol broker instead of the data directory (without it, through the listener of a Weir that holds the directory).",
            valueName: "host:port"))
    var bootstrap: String?

    func validate() throws {
        if key != nil && keyField != nil { throw ValidationError("use --key or --key-field, not both") }
        if partitions != nil && !create {
            throw ValidationError("--partitions is for --create (the topic's partitions are set when it is made)")
        }
        if let partitions, partitions < 1 { throw ValidationError("--partitions must be at least 1") }
    }

    func run() throws {
        try RemoteAccess.run(bootstrap: bootstrap, dataDir: global.resolvedDataDirectory, local: runLocally) { remote in
            guard keyField == nil, !create else {
                throw RemoteAccess.Refused(description: "--key-field and --create act on the data directory, not through a Kafka broker")
            }
            try RemoteAccess.produce(remote, topic: topic, partition: partition, key: key, printOffsets: printOffsets)
        }
    }

    private func runLocally() throws {
        let summary = try global.withLog { log -> LineProducer.Summary in
            let producer = try Producer(topic: try target(log), partition: partition)
            if printOffsets {
                let output = StandardOutput()
                producer.onAppend = { result in
                    try? output.write("\(result.partition) \(result.baseOffset) \(result.count)\n")
                    try? output.flush()
                }
            }
            let source: LineProducer.KeySource = key.map { .fixed(Array($0.utf8)) } ?? keyField.map { .jsonField($0) } ?? .none
            return try LineProducer(producer: producer, key: source).run(fd: 0)
        }
        if summary.linesWithoutKey > 0 {
            printError(
                "weir: warning: \(summary.linesWithoutKey) of \(summary.lines) lines had no field '\(keyField ?? "")' (or were not JSON objects) and were appended with a null key"
            )
        }
    }
}

extension ProduceCommand {
    /// The topic to append to; made first with `--create`. A missing one is an error that
    /// says how to make it.
    private func target(_ log: EmbeddedLog) throws -> Topic {
        do {
            let existing = try log.topic(topic)
            if let partitions, partitions != existing.partitions.count {
                printError(
                    "weir: warning: topic '\(topic)' exists with \(existing.partitions.count) partitions; --partitions \(partitions) only applies to a topic --create makes"
                )
            }
            return existing
        } catch WeirLogError.unknownTopic where create {
            return try log.createTopic(topic, config: TopicConfig(partitions: partitions ?? 1))
        } catch WeirLogError.unknownTopic {
            throw MissingTopic(
                description:
                    "topic '\(topic)' does not exist: create it with `weir topics create \(topic) --partitions N`, or pass --create (with --partitions N, default 1)"
            )
        }
    }

    struct MissingTopic: Error, CustomStringConvertible {
        let description: String
    }
}

func printError(_ text: String) {
    var standardError = StandardError()
    print(text, to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
