public import ArgumentParser
import Dispatch
import Glibc
import Synchronization
import WeirKafka
public import WeirLog

struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print a topic's records.",
        discussion: """
            Without --follow it stops at the current end of the log. With --group it reads as a member of \
            that consumer group: it starts at the group's committed offsets (--from applies only where there \
            are none) and commits what it printed, so the next run continues after it. Through a broker \
            (--bootstrap, or the listener of the Weir that holds the directory) it is a Kafka group member, \
            sharing the topic's partitions with the group's other consumers.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case raw, json

        /// Writes one record as this format prints it: its value, or a JSON line.
        func print(_ record: RecordView, topic: String, partition: Int, to output: StandardOutput) throws {
            switch self {
            case .raw:
                if let value = record.value { try output.write(value) }
                try output.write([0x0a])
            case .json:
                try output.write(RecordJSON.encode(topic: topic, partition: partition, record: record) + [0x0a])
            }
        }
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The topic to read.") var topic: String
    @Option(help: "earliest, latest, an offset, or @MS: the first record with a timestamp at or after MS (ms since the epoch).")
    var from: String = "earliest"
    @Option(help: "Read only this partition.") var partition: Int?
    @Option(help: "Read as a member of this consumer group and commit progress.") var group: String?
    @Option(help: "Stop after this many records.") var max: Int?
    @Flag(help: "Keep waiting for new records (Ctrl-C to stop).") var follow = false
    @Option(help: "raw: each value on its own line; json: one object per record.") var format: Format = .raw
    @Option(help: "Assignor for --group: range, roundrobin or sticky.") var assignor: AssignmentStrategy = .range
    @Option(
        help: ArgumentHelp(
            "Read through this Kafka-protocol broker instead of the data directory (without it, through the listener of a Weir that holds the directory).",
            valueName: "host:port"))
    var bootstrap: String?

    func validate() throws {
        _ = try start()
        if let max, max < 0 { throw ValidationError("--max must not be negative") }
    }

    private func start() throws -> TopicConsumer.Start {
        switch from {
        case "earliest": return .earliest
        case "latest": return .latest
        case let text where text.hasPrefix("@"):
            guard let timestamp = Int64(text.dropFirst()) else {
                throw ValidationError("--from @MS takes milliseconds since the epoch, not '\(from)'")
            }
            return .timestamp(timestamp)
        default:
            guard let offset = Int64(from), offset >= 0 else {
                throw ValidationError("--from takes earliest, latest, an offset or @MS, not '\(from)'")
            }
            return .offset(offset)
        }
    }

    /// Reads the data directory; when another Weir holds it and serves Kafka (or
    /// `--bootstrap` names a broker), reads through that broker instead.
    func run() async throws {
        let dataDir = global.resolvedDataDirectory
        if let bootstrap {
            return try await onThreadOfItsOwn { [self] in try consumeRemotely(try RemoteTopics(address: bootstrap)) }
        }
        do {
            try await runLocally()
        } catch {
            guard RemoteAccess.mayGoThroughListener(after: error) else { throw error }
            try await onThreadOfItsOwn { [self] in
                guard let listener = RemoteAccess.listener(of: dataDir) else { throw error }
                try consumeRemotely(listener)
            }
        }
    }

    /// Prints the records read through a broker, in a group as a Kafka group member
    /// (blocks: on a thread of its own).
    private func consumeRemotely(_ remote: RemoteTopics) throws {
        let output = StandardOutput()
        let (topic, format) = (topic, format)
        let write: (Int, Int64, RecordView) throws -> Void = { partition, _, record in
            try format.print(record, topic: topic, partition: partition, to: output)
        }
        do {
            if let group {
                // Ctrl-C commits what was printed and leaves the group, so the others take its partitions at once.
                let stop = StopRequest()
                let interrupts = Interrupts { stop.request() }
                defer { withExtendedLifetime(interrupts) {} }
                let member = try RemoteGroupMember(broker: remote, group: group, topics: [topic], strategy: assignor)
                try member.consume(
                    topic: topic, partition: partition, from: try start(), max: max, follow: follow, stopRequested: { stop.isRequested },
                    write, handled: { try output.flush() })
            } else {
                try RemoteAccess.consume(
                    remote, topic: topic, partition: partition, from: try start(), max: max, follow: follow, write: write,
                    flush: { try output.flush() })
            }
            try output.flush()
        } catch is StandardOutput.Closed {}
    }

    private func runLocally() async throws {
        let log = try global.openLog()
        let output = StandardOutput()
        var options = TopicConsumer.Options(start: try start(), partition: partition, group: group, maxRecords: max, follow: follow)
        options.strategy = assignor
        let format = self.format
        do {
            let consumer = try TopicConsumer(log: log, topic: topic, options: options)
            let task = Task {
                try await consumer.run(
                    { topic, partition, record in try format.print(record, topic: topic, partition: partition, to: output) },
                    handled: { try output.flush() })
            }
            let interrupts = follow ? Interrupts { task.cancel() } : nil
            defer { withExtendedLifetime(interrupts) {} }
            _ = try await task.value
            try output.flush()
            try log.close()
        } catch is StandardOutput.Closed {
            try log.close()
        } catch {
            try? log.close()
            throw error
        }
    }
}

/// Turns SIGINT and SIGTERM into a callback, so `--follow` stops cleanly and the log
/// is closed (no recovery scan at the next start).
final class Interrupts: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.activate()
            return source
        }
    }

    deinit { for source in sources { source.cancel() } }
}

/// A stop asked for from another thread (a signal handler's), looked at between fetches.
final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)

    func request() { requested.store(true, ordering: .relaxed) }
    var isRequested: Bool { requested.load(ordering: .relaxed) }
}

extension AssignmentStrategy: ExpressibleByArgument {}
