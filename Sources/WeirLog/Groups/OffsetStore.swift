import Foundation
import Synchronization

/// Committed consumer-group offsets, one file per group (`groups/<group>.json`),
/// each commit replacing it atomically (temp → fsync → rename → fsync directory),
/// so a commit survives `kill -9` and a power loss, and a torn file is impossible.
///
/// A committed offset means "the next offset to read", as in Kafka; a client may keep
/// metadata of its own beside it (each commit replaces both).
final class OffsetStore: Sendable {
    let directory: String
    private let groups: Mutex<[String: Committed]>

    private struct Committed {
        var offsets: [TopicPartition: Int64] = [:]
        var metadata: [TopicPartition: String] = [:]
    }

    private struct File: Codable {
        var offsets: [Entry]
        struct Entry: Codable {
            var topic: String
            var partition: Int
            var offset: Int64
            var metadata: String?
        }
    }

    init(directory: String) throws {
        self.directory = directory
        var loaded: [String: Committed] = [:]
        for name in try FileSystem.listDirectory(directory) where name.hasSuffix(".json") {
            let group = String(name.dropLast(5))
            let bytes = try FileSystem.readWholeFile(directory + "/" + name)
            let file: File
            do {
                file = try JSONDecoder().decode(File.self, from: Data(bytes))
            } catch {
                throw WeirLogError.invalidConfig("\(directory)/\(name) does not parse: \(error)")
            }
            var committed = Committed()
            for entry in file.offsets {
                let key = TopicPartition(topic: entry.topic, partition: entry.partition)
                committed.offsets[key] = entry.offset
                committed.metadata[key] = entry.metadata
            }
            loaded[group] = committed
        }
        groups = Mutex(loaded)
    }

    /// Group names become file names, so they follow the topic-name rule.
    static func validate(group: String) throws {
        do {
            try TopicName.validate(group)
        } catch WeirLogError.invalidTopicName(_, let reason) {
            throw WeirLogError.invalidConfig("invalid group name '\(group)': \(reason)")
        }
    }

    func offsets(group: String) -> [TopicPartition: Int64] {
        groups.withLock { $0[group]?.offsets ?? [:] }
    }

    /// The offsets with the metadata committed beside them (partitions without any are
    /// absent), read together.
    func committed(group: String) -> (offsets: [TopicPartition: Int64], metadata: [TopicPartition: String]) {
        groups.withLock { ($0[group]?.offsets ?? [:], $0[group]?.metadata ?? [:]) }
    }

    func all() -> [String: [TopicPartition: Int64]] { groups.withLock { $0.mapValues(\.offsets) } }

    func commit(group: String, offsets: [TopicPartition: Int64], metadata: [TopicPartition: String] = [:]) throws {
        try Self.validate(group: group)
        try groups.withLock { groups in
            var merged = groups[group] ?? Committed()
            merged.offsets.merge(offsets) { $1 }
            for key in offsets.keys { merged.metadata[key] = metadata[key].flatMap { $0.isEmpty ? nil : $0 } }
            try write(group: group, merged)
            groups[group] = merged
        }
    }

    /// Forgets a group's offsets and removes its file.
    func delete(group: String) throws {
        try groups.withLock { groups in
            let path = directory + "/" + group + ".json"
            if FileSystem.exists(path) {
                try FileSystem.removeTree(path)
                try FileSystem.fsyncDirectory(directory)
            }
            groups.removeValue(forKey: group)
        }
    }

    /// Drops every group's offsets for `topic`.
    func forget(topic: String) throws {
        try groups.withLock { groups in
            for (group, committed) in groups where committed.offsets.keys.contains(where: { $0.topic == topic }) {
                let kept = Committed(
                    offsets: committed.offsets.filter { $0.key.topic != topic },
                    metadata: committed.metadata.filter { $0.key.topic != topic })
                try write(group: group, kept)
                groups[group] = kept
            }
        }
    }

    private func write(group: String, _ committed: Committed) throws {
        let file = File(
            offsets: committed.offsets.keys.sorted().map {
                File.Entry(topic: $0.topic, partition: $0.partition, offset: committed.offsets[$0]!, metadata: committed.metadata[$0])
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileSystem.writeAtomically(directory + "/" + group + ".json", Array(try encoder.encode(file)) + [0x0a])
    }
}
