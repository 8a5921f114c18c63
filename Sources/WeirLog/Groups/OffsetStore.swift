import Foundation
import Synchronization

/// Committed consumer-group offsets, one file per group (`groups/<group>.json`),
/// each commit replacing it atomically (temp → fsync → rename → fsync directory),
/// so a commit survives `kill -9` and a power loss, and a torn file is impossible.
///
/// A committed offset means "the next offset to read", as in Kafka.
final class OffsetStore: Sendable {
    let directory: String
    private let groups: Mutex<[String: [TopicPartition: Int64]]>

    private struct File: Codable {
        var offsets: [Entry]
        struct Entry: Codable {
            var topic: String
            var partition: Int
            var offset: Int64
        }
    }

    init(directory: String) throws {
        self.directory = directory
        var loaded: [String: [TopicPartition: Int64]] = [:]
        for name in try FileSystem.listDirectory(directory) where name.hasSuffix(".json") {
            let group = String(name.dropLast(5))
            let bytes = try FileSystem.readWholeFile(directory + "/" + name)
            let file: File
            do {
                file = try JSONDecoder().decode(File.self, from: Data(bytes))
            } catch {
                throw WeirLogError.invalidConfig("\(directory)/\(name) does not parse: \(error)")
            }
            loaded[group] = Dictionary(
                file.offsets.map { (TopicPartition(topic: $0.topic, partition: $0.partition), $0.offset) },
                uniquingKeysWith: { $1 })
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
        groups.withLock { $0[group] ?? [:] }
    }

    func all() -> [String: [TopicPartition: Int64]] { groups.withLock { $0 } }

    func commit(group: String, offsets: [TopicPartition: Int64]) throws {
        try Self.validate(group: group)
        try groups.withLock { groups in
            var merged = groups[group] ?? [:]
            merged.merge(offsets) { $1 }
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
            for (group, offsets) in groups where offsets.keys.contains(where: { $0.topic == topic }) {
                let kept = offsets.filter { $0.key.topic != topic }
                try write(group: group, kept)
                groups[group] = kept
            }
        }
    }

    private func write(group: String, _ offsets: [TopicPartition: Int64]) throws {
        let file = File(offsets: offsets.keys.sorted().map { File.Entry(topic: $0.topic, partition: $0.partition, offset: offsets[$0]!) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileSystem.writeAtomically(directory + "/" + group + ".json", Array(try encoder.encode(file)) + [0x0a])
    }
}
