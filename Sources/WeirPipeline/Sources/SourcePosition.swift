import Foundation
import WeirLog
import WeirValues

/// How far a source has read one file: who the file is and the bytes of it already
/// appended (up to the end of the last line appended).
public struct FileCursor: Codable, Sendable, Equatable {
    public var identity: FileIdentity
    public var offset: UInt64
    /// The line ending at `offset` was appended before its newline came (at shutdown, or
    /// after `partial_line_timeout_ms`): a newline right there ends that line and makes no
    /// record of its own. Nil (absent in the JSON) otherwise.
    public var partialLine: Bool?
}

/// Where a source had got to when it appended a batch. It travels in the header
/// `weir.position` of the batch's last record, so the records and the position become
/// durable in the same append: after a crash the log holds both or neither.
package struct SourcePosition: Codable, Sendable {
    static let header = "weir.position"

    /// `<pipeline>.<source id>`: several sources may write one topic.
    var source: String
    /// Increases with every batch of the source; recovery applies positions in this order.
    var seq: Int64
    /// For `file` and `tail`: which file (a number the source gave it) and how far.
    var slot: Int?
    var file: FileCursor?
    /// For `generate`: lines generated so far.
    var generated: Int64?
    /// For other sources (plugins): their own position, opaque to Weir.
    var opaque: String?

    func encoded() -> [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }
}

/// Everything a source needs to continue: its files by slot, or its generated count.
struct SourceState: Codable, Sendable, Equatable {
    var seq: Int64 = 0
    var files: [String: FileCursor] = [:]
    var generated: Int64 = 0
    var opaque: String?
    var nextSlot = 0
    /// Set (and checkpointed) when the source first starts: `read_from: end` applies
    /// only before it.
    var started: Bool?

    mutating func apply(_ position: SourcePosition) {
        seq = max(seq, position.seq)
        if let slot = position.slot, let file = position.file {
            files[String(slot)] = file
            nextSlot = max(nextSlot, slot + 1)
        }
        if let generated = position.generated { self.generated = generated }
        if let opaque = position.opaque { self.opaque = opaque }
    }

    /// The slot of a file already known, now at `path` with identity `current`: same
    /// device and inode with the same first bytes, or (a file moved, even across
    /// devices) a match over a fingerprint that covers at least its first line.
    func slot(for path: String, _ current: FileIdentity, excluding open: Set<Int>) -> Int? {
        let candidates = files.compactMap { key, cursor -> (Int, FileCursor)? in
            guard let slot = Int(key), !open.contains(slot) else { return nil }
            return (slot, cursor)
        }
        // Prefer the newest slot: a reused inode may match an old, finished file too.
        return candidates.sorted { $0.0 > $1.0 }.first { _, cursor in
            let sameInode = cursor.identity.device == current.device && cursor.identity.inode == current.inode
            // Across inodes (moved, copied) the fingerprint must be full or name the
            // whole first line, as Vector's checksum fingerprint does.
            let distinctive = cursor.identity.fingerprintLength == FileIdentity.fingerprintSize || cursor.identity.coversLine == true
            return (sameInode || distinctive) && cursor.identity.matches(current, path: path)
        }?.0
    }
}

/// A source's checkpoint file: its state as of an acknowledged append, and where in each
/// partition to start looking for positions appended after it.
struct SourceCheckpoint: Codable {
    var state = SourceState()
    var scanFrom: [Int64] = []

    /// The state as the log has it: the checkpoint, then every position of this source
    /// found in batches appended after it (a run that died before writing its checkpoint
    /// still appended them).
    static func recover(source: String, topic: String, log: any PipelineLog, path: String) throws -> (SourceState, [Int64]) {
        let checkpoint = try CheckpointFile.read(SourceCheckpoint.self, path) ?? SourceCheckpoint()
        // A first run (or the topic was recreated) scans it all: nothing of this source can
        // be in it unless an earlier run died before its first checkpoint.
        let partitions = try log.partitionCount(of: topic)
        let (found, ends) = try log.positions(
            of: source, in: topic, from: checkpoint.scanFrom.count == partitions ? checkpoint.scanFrom : nil)
        var state = checkpoint.state
        // Only an unbroken run of positions: after a power loss one partition may keep a
        // later chunk whose predecessor, in another partition, was not yet on disk; the
        // chunks after a gap are read again (at least once) rather than skipped.
        for position in found.sorted(by: { $0.seq < $1.seq }) where position.seq > state.seq {
            guard position.seq == state.seq + 1 else { break }
            state.apply(position)
        }
        return (state, ends)
    }
}

/// Reads and writes the runner's JSON checkpoints durably; a damaged one is an error,
/// never a silent restart from nothing (which could repeat or cut output).
enum CheckpointFile {
    static func read<T: Decodable>(_ type: T.Type, _ path: String) throws -> T? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw PipelineError(description: "checkpoint \(path) cannot be read (\(error)); refusing to guess where to continue")
        }
    }

    static func write(_ value: some Encodable, _ path: String) throws {
        try DurableFile.write(Array(try JSONEncoder().encode(value)), to: path)
    }
}
