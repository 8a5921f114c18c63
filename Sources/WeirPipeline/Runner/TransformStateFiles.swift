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
