import Foundation
import WeirLog
import WeirValues

/// The `file` sink's storage: appends encoded records to one file and makes them
/// durable before it acknowledges, so the runner can commit offsets together with the
/// file length it returns.
///
/// Exactly-once comes from that pairing: on restart the runner reopens the sink with
/// the length it last committed, and everything written after it (by a run that died
/// before committing) is cut off, to be written again from the committed offsets.
public final class FileSink {
    public enum Encoding: String, Sendable {
        /// One JSON object per line: the fields plus `_timestamp` (ms since the epoch).
        case json
        /// The `message` field (or the fields as JSON when there is none), one per line.
        case text
    }

    public let path: String
    public let encoding: Encoding
    private let handle: FileHandle
    /// Bytes written and fsynced: what a commit may record.
    public private(set) var length: UInt64

    /// Opens (creating) the file and cuts it to `committedLength`: bytes after it were
    /// never committed. With nil (first run) the file is started empty.
    public init(path: String, encoding: Encoding, committedLength: UInt64?) throws {
        self.path = path
        self.encoding = encoding
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            try DurableFile.syncDirectory(directory)
        }
        handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        if let committedLength, size < committedLength {
            throw PipelineRunner.NotRunnable(description: "\(path) holds \(size) bytes but \(committedLength) were committed to it; it was cut or replaced outside Weir (restore it, or move it away and remove the sink's checkpoint to write it again from the start)")
        }
        let keep = min(committedLength ?? 0, size)
        if keep < size {
            try handle.truncate(atOffset: keep)
            try handle.synchronize()
        }
        length = keep
    }

    deinit { try? handle.close() }

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
        let lines: RecordEncoding = encoding == .json ? .json : .text
        for record in batch {
            lines.write(record, into: &bytes)
            bytes.append(0x0a)
        }
        return try append(bytes: bytes)
    }

    /// Writes encoded lines after what is there; returns the new length.
    @discardableResult
    public func append(bytes: [UInt8]) throws -> UInt64 {
        guard !bytes.isEmpty else { return length }
        // pwrite at the committed length; a full disk waits for space (`DiskSpace`).
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(handle.fileDescriptor, $0.baseAddress! + written, bytes.count - written, off_t(length) + off_t(written)) }
            if n < 0 && (errno == EINTR || DiskSpace.waitIfFull(errno, path: path)) { continue }
            guard n > 0 else { throw PipelineRunner.NotRunnable(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            written += n
        }
        DiskSpace.wrote(path: path)
        length += UInt64(bytes.count)
        return length
    }

    /// Makes everything appended so far durable.
    public func sync() throws {
        try handle.synchronize()
    }
}
