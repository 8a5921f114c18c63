import Foundation
import SystemPackage
import WeirLog
import WeirValues

/// A file appended to durably and cut back to its committed length when opened: the
/// `file` sink's storage. It makes what it appends durable before it acknowledges, so
/// the runner can commit offsets together with the file length it returns.
///
/// Exactly-once comes from that pairing: on restart the runner reopens the file with
/// the length it last committed, and everything written after it (by a run that died
/// before committing) is cut off, to be written again from the committed offsets.
public final class CommittedFile {
    public let path: String
    public let encoding: RecordEncoding
    private let fd: FileDescriptor
    /// Bytes written and fsynced: what a commit may record.
    public private(set) var length: UInt64

    /// Opens (creating) the file and cuts it to `committedLength`: bytes after it were
    /// never committed. With nil (first run) the file is started empty.
    /// - Throws: a `PipelineError` when the file is shorter than was committed (it was
    ///   cut or replaced outside Weir), a `WeirLogError` naming the file when a call fails.
    public init(path: String, encoding: RecordEncoding, committedLength: UInt64?) throws {
        self.path = path
        self.encoding = encoding
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let existed = FileSystem.exists(path)
        fd = try FileSystem.open(path, .readWrite, create: true)
        do {
            if !existed { try DurableFile.syncDirectory(directory) }
            let size = UInt64(try FileSystem.fileSize(path))
            if let committedLength, size < committedLength {
                throw PipelineError(
                    description:
                        "\(path) holds \(size) bytes but \(committedLength) were committed to it; it was cut or replaced outside Weir (restore it, or move it away and remove the sink's checkpoint to write it again from the start)"
                )
            }
            let keep = min(committedLength ?? 0, size)
            if keep < size {
                try FileSystem.truncate(fd, to: Int64(keep), path: path)
                try FileSystem.fsync(fd, path: path)
            }
            length = keep
        } catch {
            try? fd.close()
            throw error
        }
    }

    deinit { try? fd.close() }

    /// Writes the batch after what is there, fsyncs, and returns the new length.
    @discardableResult
    public func write(_ batch: [PipelineRecord]) throws -> UInt64 {
        try append(batch)
        try sync()
        return length
    }

    /// Writes the batch after what is there, without waiting for the disk; returns the
    /// new length, which is durable once `sync()` returns.
    @discardableResult
    public func append(_ batch: [PipelineRecord]) throws -> UInt64 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batch.count * 256)
        var scratch = JSONObjectScratch()
        for record in batch {
            encoding.write(record, into: &bytes, scratch: &scratch)
            bytes.append(0x0a)
        }
        return try append(bytes: bytes)
    }

    /// Writes encoded lines after what is there; returns the new length. A full disk
    /// waits for space (`DiskSpace`).
    @discardableResult
    public func append(bytes: [UInt8]) throws -> UInt64 {
        guard !bytes.isEmpty else { return length }
        try bytes.withUnsafeBytes { try FileSystem.write(fd, at: Int64(length), $0, path: path) }
        length += UInt64(bytes.count)
        return length
    }

    /// Makes everything appended so far durable.
    public func sync() throws {
        try FileSystem.fsync(fd, path: path)
    }
}
