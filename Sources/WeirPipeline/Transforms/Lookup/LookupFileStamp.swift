import Foundation

/// What says a table file changed: its device, inode, size and modification time, from
/// one `stat` (about a microsecond), so `lookup` can look every second without reading.
///
/// A file replaced by a rename has a new inode; one rewritten in place a new size or
/// modification time (nanoseconds on Linux, so even two writes in one second differ
/// unless they leave the same size within the file system's timestamp granularity).
struct LookupFileStamp: Sendable, Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var seconds: Int
    var nanoseconds: Int

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if os(Linux)
        seconds = info.st_mtim.tv_sec
        nanoseconds = info.st_mtim.tv_nsec
        #else
        seconds = info.st_mtimespec.tv_sec
        nanoseconds = info.st_mtimespec.tv_nsec
        #endif
    }

    /// The stamp of the file at `path` now; nil when there is none (or it is not a regular file).
    static func of(path: String) -> LookupFileStamp? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return LookupFileStamp(info)
    }

    /// The contents of the file at `path` with the stamp they were read under; nil when the
    /// file changed while it was read (a writer still at it: the next look reads it again).
    static func contents(path: String) throws(LookupLoadError) -> (LookupFileStamp, [UInt8])? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LookupLoadError(path: path, line: nil, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LookupLoadError(path: path, line: nil, message: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw LookupLoadError(path: path, line: nil, message: "is not a regular file") }
        let before = LookupFileStamp(info)
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count))) }
            let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw LookupLoadError(path: path, line: nil, message: String(cString: strerror(errno))) }
            if got == 0 { break }
            filled += got
        }
        bytes.removeSubrange(filled...)
        guard fstat(fd, &info) == 0, LookupFileStamp(info) == before, filled == Int(before.size),
            LookupFileStamp.of(path: path) == before
        else { return nil }
        return (before, bytes)
    }
}

/// A table file that could not be loaded: where in it, and why.
struct LookupLoadError: Error, Equatable, CustomStringConvertible {
    var path: String
    /// From 1; nil for the file as a whole (it cannot be opened, it has too many rows).
    var line: Int?
    var message: String

    var description: String { line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)" }
}
