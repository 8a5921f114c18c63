import Foundation
import WeirLog
import WeirValues

/// Who a file is, for the `file` and `tail` sources: device and inode, plus a checksum
/// of its first bytes.
///
/// The inode follows a file through a rename; the fingerprint tells a new file that
/// reused an old inode from the old one, and recognises a file that was moved (even to
/// another device) while Weir was stopped. A file shorter than the fingerprint size is
/// fingerprinted over what it has, and the stored length says how much was compared.
public struct FileIdentity: Sendable, Hashable, Codable {
    public static let fingerprintSize = 1024

    public var device: UInt64
    public var inode: UInt64
    /// CRC-32C of the first `fingerprintLength` bytes.
    public var fingerprint: UInt32
    public var fingerprintLength: Int
    /// The fingerprinted bytes hold at least one whole line, so the fingerprint names
    /// the file's first line (nil in checkpoints written before this was recorded).
    public var coversLine: Bool?

    /// The identity of the file at `path` now, or nil if it cannot be opened.
    public static func of(path: String) -> FileIdentity? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return of(fd: fd)
    }

    /// The identity of the open file `fd` (which may have been renamed or deleted since).
    public static func of(fd: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        guard let (fingerprint, length, coversLine) = Self.fingerprint(fd: fd, upTo: fingerprintSize) else { return nil }
        return FileIdentity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), fingerprint: fingerprint,
            fingerprintLength: length, coversLine: coversLine)
    }

    /// Whether the file now at `path` is the one this identity was taken from: same
    /// fingerprint over the stored length (an empty file falls back to device and inode).
    public func matches(path: String) -> Bool {
        guard let current = Self.of(path: path) else { return false }
        return matches(current, path: path)
    }

    func matches(_ current: FileIdentity, path: String) -> Bool {
        if fingerprintLength == 0 { return current.device == device && current.inode == inode }
        guard current.fingerprintLength >= fingerprintLength else { return false }
        if current.fingerprintLength == fingerprintLength { return current.fingerprint == fingerprint }
        // The file grew past the stored prefix: compare over the stored length only.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return Self.fingerprint(fd: fd, upTo: fingerprintLength)?.0 == fingerprint
    }

    /// Whether this (short) file's bytes are the beginning of the open file `fd`: a copy
    /// of it still being written.
    func isPrefix(of fd: Int32) -> Bool {
        guard let (print, length, _) = Self.fingerprint(fd: fd, upTo: fingerprintLength) else { return false }
        return length == fingerprintLength && print == fingerprint
    }

    private static func fingerprint(fd: Int32, upTo size: Int) -> (UInt32, Int, Bool)? {
        var buffer = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, size - filled, off_t(filled)) }
            if n < 0 { return nil }
            if n == 0 { break }
            filled += n
        }
        return (buffer[0..<filled].withUnsafeBytes { CRC32C.checksum($0) }, filled, buffer[0..<filled].contains(0x0a))
    }
}
