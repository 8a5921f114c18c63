import Foundation
import SystemPackage
import WeirLog
import WeirValues

/// A checkpoint rewritten after every batch (a sink's commit): two slots in one file,
/// written in turn, each with a sequence number and a CRC. A write is one positioned write and
/// one `fdatasync` — no temporary file, rename or directory fsync — and a write torn by a
/// crash leaves the other slot, the previous commit, intact.
///
/// Slot layout: "WCK1", sequence (UInt64), length (UInt32), CRC-32C of sequence, length
/// and payload (UInt32), payload; all little endian.
final class SlottedCheckpoint {
    static let slotSize = 256 << 10
    private static let headerSize = 20
    private static let magic: [UInt8] = Array("WCK1".utf8)

    let path: String
    private let fd: FileDescriptor
    private var sequence: UInt64 = 0

    init(path: String) throws {
        self.path = path
        let existed = FileSystem.exists(path)
        fd = try FileSystem.open(path, .readWrite, create: true)
        if !existed { try DurableFile.syncDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path) }
    }

    deinit { try? fd.close() }

    /// The payload of the newest intact slot, or nil when neither holds one.
    func read() -> [UInt8]? {
        var best: (sequence: UInt64, payload: [UInt8])?
        for slot in 0..<2 {
            let start = Int64(slot * Self.slotSize)
            guard let header = try? FileSystem.read(fd, at: start, count: Self.headerSize, path: path),
                header.count == Self.headerSize, Array(header[0..<4]) == Self.magic
            else { continue }
            let sequence = header[4..<12].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let length = Int(header[12..<16].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            let crc = header[16..<20].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard length <= Self.slotSize - Self.headerSize else { continue }
            guard let payload = try? FileSystem.read(fd, at: start + Int64(Self.headerSize), count: length, path: path),
                payload.count == length, Self.checksum(header[4..<16], payload) == crc
            else { continue }
            if best.map({ sequence > $0.sequence }) ?? true { best = (sequence, payload) }
        }
        if let best { sequence = best.sequence }
        return best?.payload
    }

    /// Writes `payload` into the older slot and makes it durable.
    func write(_ payload: [UInt8]) throws {
        guard payload.count <= Self.slotSize - Self.headerSize else {
            throw PipelineError(
                description: "checkpoint \(path) would need \(payload.count) bytes; a slot holds \(Self.slotSize - Self.headerSize)")
        }
        // The sequence moves on only once the write is durable: after a failed write the
        // next one goes to the same (older) slot, never over the last intact one.
        let next = sequence + 1
        var record = Self.magic
        record += withUnsafeBytes(of: next.littleEndian, Array.init)
        record += withUnsafeBytes(of: UInt32(payload.count).littleEndian, Array.init)
        let crc = Self.checksum(record[4..<16], payload)
        record += withUnsafeBytes(of: crc.littleEndian, Array.init)
        record += payload
        let offset = Int64(Int(next % 2) * Self.slotSize)
        try record.withUnsafeBytes { try FileSystem.write(fd, at: offset, $0, path: path) }
        try FileSystem.fdatasync(fd, path: path)
        sequence = next
    }

    static func checksum(_ header: ArraySlice<UInt8>, _ payload: [UInt8]) -> UInt32 {
        let head = header.withUnsafeBytes { CRC32C.checksum($0) }
        return payload.withUnsafeBytes { CRC32C.checksum($0, continuing: head) }
    }
}
