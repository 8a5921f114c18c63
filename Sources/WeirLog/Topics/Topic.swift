import Dispatch
import Foundation
import Logging
import Synchronization

/// A named stream split into partitions, with its configuration in `topic.json`.
public final class Topic: Sendable {
    public let name: String
    public let config: TopicConfig
    public let directory: String
    public let partitions: [Partition]

    /// Who this topic is: made once, when the topic is created (or first opened by a
    /// version that did not have it), so a reader that committed offsets can tell a topic
    /// deleted and made again under the same name from its own.
    public let incarnation: String

    static let configFile = "topic.json"
    static let incarnationFile = "incarnation"

    /// The topic in `directory`. Its partitions are not opened here but on first use;
    /// `clean` says which of them the last stop left clean (the others are recovered then).
    init(name: String, directory: String, config: TopicConfig, clean: (Int) -> Bool, logger: Logger) throws {
        self.name = name
        self.config = config
        self.directory = directory
        let incarnationPath = directory + "/" + Self.incarnationFile
        if let existing = try? FileSystem.readWholeFile(incarnationPath), !existing.isEmpty {
            incarnation = String(decoding: existing, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            incarnation = try Self.writeIncarnation(to: directory)
        }
        self.partitions = (0..<config.partitions).map { id in
            Partition(topic: name, id: id, directory: "\(directory)/\(id)", config: config, clean: clean(id), logger: logger)
        }
    }

    public func partition(_ id: Int) throws -> Partition {
        guard partitions.indices.contains(id) else {
            throw WeirLogError.invalidPartition(topic: name, partition: id, count: partitions.count)
        }
        return partitions[id]
    }

    /// Appends `records`: keyed ones to their murmur2 partition, the rest round-robin,
    /// unless `partition` pins them all. Returns how many went to each partition and where.
    @discardableResult
    public func append(_ records: [Record], partition: Int? = nil) throws -> [AppendResult] {
        let producer = try Producer(topic: self, partition: partition)
        for record in records { try producer.send(record) }
        return try producer.flush()
    }

    static func readConfig(_ directory: String) throws -> TopicConfig {
        let bytes = try FileSystem.readWholeFile(directory + "/" + configFile)
        do {
            return try JSONDecoder().decode(TopicConfig.self, from: Data(bytes))
        } catch {
            throw WeirLogError.invalidConfig("\(directory)/\(configFile) does not parse: \(error)")
        }
    }

    /// A new random incarnation, which tells a recreated topic from the one it replaced.
    @discardableResult
    static func writeIncarnation(to directory: String) throws -> String {
        let incarnation = UUID().uuidString
        try FileSystem.writeAtomically(directory + "/" + incarnationFile, Array((incarnation + "\n").utf8))
        return incarnation
    }

    static func writeConfig(_ config: TopicConfig, to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(config)
        try FileSystem.writeAtomically(directory + "/" + configFile, Array(data) + [0x0a])
    }

    /// Makes the directories of a new topic's partitions, each with its first (empty)
    /// segment, in `directory` (the staging directory the topic is renamed from), so that
    /// using the topic later writes nothing a read needs.
    static func createPartitions(_ count: Int, in directory: String) throws {
        for id in 0..<count {
            let partitionDirectory = "\(directory)/\(id)"
            try FileSystem.createDirectory(partitionDirectory)
            _ = try Segment.create(directory: partitionDirectory, baseOffset: 0)
            try FileSystem.fsyncDirectory(partitionDirectory)
        }
    }

    /// Closes every partition once: those open in parallel (each ends with fsyncs that
    /// need not wait for the others), the rest, which write nothing, in place. Whether a
    /// partition is open is read once, and each partition's own close decides under its
    /// lock, so one opened meanwhile is closed like the others, never skipped.
    ///
    /// Returns the ids of the partitions closed as an unclean stop left them (never
    /// opened, so never recovered).
    @discardableResult
    func close() throws -> [Int] {
        let errors = Mutex<[any Error]>([])
        let unrecovered = Mutex<[Int]>([])
        let close = { @Sendable (partition: Partition) in
            do {
                if try partition.close() { unrecovered.withLock { $0.append(partition.id) } }
            } catch {
                errors.withLock { $0.append(error) }
            }
        }
        var opened: [Partition] = []
        for partition in partitions {
            if partition.isOpen { opened.append(partition) } else { close(partition) }
        }
        let open = opened
        DispatchQueue.concurrentPerform(iterations: open.count) { close(open[$0]) }
        if let first = errors.withLock({ $0.first }) { throw first }
        return unrecovered.withLock { $0.sorted() }
    }
}

/// Where one appended run of records landed.
public struct AppendResult: Sendable, Hashable {
    public var partition: Int
    public var baseOffset: Int64
    public var count: Int
}
