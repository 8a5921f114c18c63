import ArgumentParser
import Foundation
import Glibc
import Logging
import WeirKafka
import WeirLog
import WeirPipeline

/// `weir produce` and `weir consume` through a Kafka-protocol broker: the one `--bootstrap`
/// names, or the listener of the Weir process that holds the data directory (`weir serve`,
/// `weir run --kafka` write its address to `DIR/kafka-listener` while they serve).
enum RemoteAccess {
    static let listenerFile = "kafka-listener"

    /// What cannot be done through a broker, in one line.
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// The listener of the Weir process that holds `dataDir`, connected; nil if it wrote
    /// none (it serves no Kafka) or nobody answers there.
    static func listener(of dataDir: String) -> RemoteTopics? {
        let file = dataDir + "/" + listenerFile
        guard FileSystem.exists(file), let text = try? FileSystem.readWholeFile(file) else { return nil }
        let address = String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try? RemoteTopics(address: address)
    }

    /// The same for commands that return what they print.
    static func value<T>(bootstrap: String?, dataDir: String, local: () throws -> T, remote: (RemoteTopics) throws -> T) throws -> T {
        var result: T?
        try run(bootstrap: bootstrap, dataDir: dataDir, local: { result = try local() }, remote: { result = try remote($0) })
        return result!
    }

    /// Whether a command that failed with `error` may go through the listener of the Weir
    /// that holds the data directory: only when the directory was held.
    static func mayGoThroughListener(after error: any Error) -> Bool {
        if case WeirLogError.directoryLocked = error { return true }
        return false
    }

    /// Runs `local` on the data directory; when another Weir holds it and serves Kafka
    /// (or `--bootstrap` names a broker), runs `remote` through that broker instead.
    static func run(bootstrap: String?, dataDir: String, local: () throws -> Void, remote: (RemoteTopics) throws -> Void) throws {
        if let bootstrap { return try remote(try RemoteTopics(address: bootstrap)) }
        do {
            try local()
        } catch {
            guard mayGoThroughListener(after: error), let listener = listener(of: dataDir) else { throw error }
            try remote(listener)
        }
    }

    /// What the listener does with a reset of a group's offsets from a Kafka client
    /// (OffsetCommit without a member, as `weir groups reset-offsets` through a broker and
    /// Kafka's tools send it): as the local command, it moves the pipeline sinks'
    /// checkpoints too, and refuses a file sink's group.
    static func resetOffsets(in log: EmbeddedLog, logger: Logger) -> KafkaBroker.ResetOffsets {
        { group, offsets in
            do {
                for path in try GroupOffsetReset.reset(group: group, offsets: offsets, log: log) {
                    logger.notice("offsets of group '\(group)' reset by a Kafka client: moved in the sink's checkpoint too: \(path)")
                }
            } catch let refused as GroupOffsetReset.Refused {
                throw OffsetResetRefused(refused.description)
            }
        }
    }

    /// Appends standard input's lines (`\n` or `\r\n`, neither stored) in batches of up to
    /// 1 MiB: to `partition`, else by `key` (murmur2, as `weir produce`), else round-robin
    /// per batch.
    static func produce(_ remote: RemoteTopics, topic: String, partition: Int?, key: String?, printOffsets: Bool) throws {
        let partitions = try remote.partitionCount(topic)
        if let partition, !(0..<partitions).contains(partition) {
            throw Refused(description: "topic '\(topic)' has \(partitions) partitions; there is no partition \(partition)")
        }
        let keyBytes = key.map { Array($0.utf8) }
        let keyed = keyBytes.map { bytes in bytes.withUnsafeBytes { Partitioner.partition(forKey: $0, partitionCount: partitions) } }
        var next = 0
        let builder = RecordBatchBuilder()
        func flush() throws {
            guard !builder.isEmpty else { return }
            let target = partition ?? keyed ?? next
            next = (next + 1) % partitions
            let count = builder.count
            let base = try remote.append(try builder.build(codec: .none), topic: topic, partition: target)
            builder.reset()
            if printOffsets { print("\(target) \(base) \(count)") }
        }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            pending += chunk[..<n]
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0a) {
                var line = Array(pending[start..<newline])
                if line.last == 0x0d { line.removeLast() }
                builder.append(Record(key: keyBytes, value: line, timestamp: currentTimeMillis()))
                if builder.byteCount >= 1 << 20 { try flush() }
                start = newline + 1
            }
            pending.removeFirst(start)
            try flush()
        }
        if !pending.isEmpty {
            if pending.last == 0x0d { pending.removeLast() }
            builder.append(Record(key: keyBytes, value: pending, timestamp: currentTimeMillis()))
        }
        try flush()
    }

    /// Prints each partition's records from the start position, one partition after
    /// another, up to the end seen when it got there (or, with `follow`, as they come).
    static func consume(
        _ remote: RemoteTopics, topic: String, partition: Int?, from start: TopicConsumer.Start, max: Int?, follow: Bool,
        write: (Int, Int64, RecordView) throws -> Void, flush: () throws -> Void
    ) throws {
        let count = try remote.partitionCount(topic)
        let partitions = partition.map { [$0] } ?? Array(0..<count)
        var remaining = max ?? .max
        var positions: [Int: Int64] = [:]
        for id in partitions { positions[id] = try remote.offset(topic, partition: id, at: start) }
        repeat {
            for id in partitions where remaining > 0 {
                let end = try remote.offset(topic, partition: id, timestamp: ListOffsetsAPI.latestTimestamp)
                while let position = positions[id], position < end, remaining > 0 {
                    let (next, read) = try remote.read(topic, partition: id, from: position, limit: remaining) { try write(id, $0, $1) }
                    if next == position { break }
                    positions[id] = next
                    remaining -= read
                    try flush()
                }
            }
            if follow && remaining > 0 { try remote.waitForData(topic, positions: positions, maxWaitMs: 200) }
        } while follow && remaining > 0
    }
}

/// `--bootstrap HOST:PORT`: act through this Kafka-protocol broker instead of the data directory.
struct BootstrapOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Act through this Kafka-protocol broker instead of the data directory (without it, through the listener of a Weir that holds the directory).",
            valueName: "host:port"))
    var bootstrap: String?
}
