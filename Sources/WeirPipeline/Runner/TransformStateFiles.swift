import Foundation
import SystemPackage
import WeirLog

/// Where a sink's stateful transforms' state goes at each commit: too big for a slot of
/// the checkpoint (`SlottedCheckpoint` holds 256 KiB), it is written to one of two files,
/// `<checkpoint>.state.0` and `.1`, in turn, each with its sequence and a CRC, and made
/// durable before the checkpoint that names its sequence. A crash between the two leaves
/// the checkpoint naming the previous sequence, whose file was not touched.
///
/// File layout: "WST1", sequence (UInt64), length (UInt32), CRC-32C of sequence, length
/// and payload (UInt32), payload; all little endian.
final class TransformStateFiles {
    private static let magic: [UInt8] = Array("WST1".utf8)
    let path: String
    /// The sequence of the last state written or read.
    private(set) var sequence: UInt64

    init(checkpointPath: String, sequence: UInt64) {
        path = checkpointPath + ".state"
        self.sequence = sequence
    }

    private func file(_ sequence: UInt64) -> String { "\(path).\(sequence % 2)" }

    /// Writes `payload` as the next sequence, durably; returns the sequence.
    func write(_ payload: [UInt8]) throws -> UInt64 {
        let next = sequence + 1
        var record = Self.magic
        record += withUnsafeBytes(of: next.littleEndian, Array.init)
        record += withUnsafeBytes(of: UInt32(payload.count).littleEndian, Array.init)
        let crc = SlottedCheckpoint.checksum(record[4..<16], payload)
        record += withUnsafeBytes(of: crc.littleEndian, Array.init)
        record += payload
        let name = file(next)
        let existed = FileSystem.exists(name)
        let fd = try FileSystem.open(name, .readWrite, create: true)
        defer { try? fd.close() }
        try record.withUnsafeBytes { try FileSystem.write(fd, at: 0, $0, path: name) }
        try FileSystem.truncate(fd, to: Int64(record.count), path: name)
        try FileSystem.fdatasync(fd, path: name)
        if !existed { try DurableFile.syncDirectory(URL(fileURLWithPath: name).deletingLastPathComponent().path) }
        sequence = next
        return next
    }

    /// The payload written as `sequence`; an error when that file is missing or damaged
    /// (the checkpoint that names it was committed after it was durable).
    func read(_ sequence: UInt64) throws -> [UInt8] {
        let name = file(sequence)
        let bytes = try FileSystem.readWholeFile(name)
        guard bytes.count >= 20, Array(bytes[0..<4]) == Self.magic else {
            throw PipelineError(description: "transform state \(name) is not a state file")
        }
        let stored = bytes[4..<12].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let length = Int(bytes[12..<16].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        let crc = bytes[16..<20].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let payload = Array(bytes[20...])
        guard stored == sequence, payload.count == length, SlottedCheckpoint.checksum(bytes[4..<16], payload) == crc else {
            throw PipelineError(
                description: "transform state \(name) holds sequence \(stored), not the \(sequence) the checkpoint names, or is damaged")
        }
        self.sequence = max(self.sequence, sequence)
        return payload
    }
}

/// The state of every partition, as `TransformStateFiles` stores it: per partition its
/// topic, number and transforms, each transform's id and snapshot, lengths before bytes
/// (4 bytes, little endian). The snapshots go as they are, not re-encoded.
enum TransformStateEncoding {
    static func encode(_ state: [TopicPartition: [String: Data]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(state.values.reduce(16) { $0 + $1.values.reduce(64) { $0 + $1.count + 32 } })
        put(UInt32(state.count), &out)
        for (partition, transforms) in state {
            put(Array(partition.topic.utf8), &out)
            put(UInt32(partition.partition), &out)
            put(UInt32(transforms.count), &out)
            for (id, bytes) in transforms {
                put(Array(id.utf8), &out)
                put(UInt32(bytes.count), &out)
                out.append(contentsOf: bytes)
            }
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) throws -> [TopicPartition: [String: Data]] {
        var at = 0
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, at + count <= bytes.count else { throw PipelineError(description: "transform state cut short at byte \(at)") }
            defer { at += count }
            return bytes[at..<at + count]
        }
        func u32() throws -> Int { Int(try take(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        func text() throws -> String { String(decoding: try take(try u32()), as: UTF8.self) }
        var state: [TopicPartition: [String: Data]] = [:]
        for _ in 0..<(try u32()) {
            let topic = try text()
            let partition = TopicPartition(topic: topic, partition: try u32())
            var transforms: [String: Data] = [:]
            for _ in 0..<(try u32()) {
                let id = try text()
                transforms[id] = Data(try take(try u32()))
            }
            state[partition] = transforms
        }
        guard at == bytes.count else { throw PipelineError(description: "transform state has bytes after its end") }
        return state
    }

    private static func put(_ value: UInt32, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func put(_ text: [UInt8], _ out: inout [UInt8]) {
        put(UInt32(text.count), &out)
        out.append(contentsOf: text)
    }
}
