// Linux only (README, "Platform"): here and across Sources Weir calls Glibc directly
// (fsync, pwritev, flock, posix_spawn, /proc); it does not build on macOS.
import Glibc
public import SystemPackage

/// The few POSIX calls swift-system lacks (fsync, flock, rename, directory listing),
/// each turning `errno` into a `WeirLogError.io` that names the path.
///
/// The modules built on the log use the public ones, so every durable write in Weir
/// retries on `EINTR`, waits out a full disk (`DiskSpace`) and fails with one line that
/// names the file.
public enum FileSystem {
    static func check(_ result: Int32, _ operation: String, _ path: String) throws {
        if result < 0 { throw WeirLogError.io(operation: operation, path: path, errno: errno) }
    }

    /// Makes the file's data and metadata durable.
    /// - Throws: `WeirLogError.io` naming `path`.
    public static func fsync(_ fd: FileDescriptor, path: String) throws {
        try check(Glibc.fsync(fd.rawValue), "fsync", path)
    }

    /// Makes the file's data durable (and its size), without waiting for metadata only
    /// `stat` shows: for a file rewritten in place at a fixed length.
    /// - Throws: `WeirLogError.io` naming `path`.
    public static func fdatasync(_ fd: FileDescriptor, path: String) throws {
        try check(Glibc.fdatasync(fd.rawValue), "fdatasync", path)
    }

    /// fsync a directory, so a created, renamed or deleted entry in it is durable.
    static func fsyncDirectory(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY)
        try check(fd, "open directory", path)
        defer { Glibc.close(fd) }
        try check(Glibc.fsync(fd), "fsync directory", path)
    }

    static func createDirectory(_ path: String) throws {
        if Glibc.mkdir(path, 0o755) < 0 && errno != EEXIST {
            throw WeirLogError.io(operation: "create directory", path: path, errno: errno)
        }
    }

    /// mkdir -p.
    static func createDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            try createDirectory(prefix)
        }
    }

    /// Whether anything (a file, a directory) is at `path`.
    public static func exists(_ path: String) -> Bool { Glibc.access(path, F_OK) == 0 }

    /// Whether a directory (or a link to one) is at `path`.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The size of the file at `path`, in bytes.
    /// - Throws: `WeirLogError.io` naming `path`.
    public static func fileSize(_ path: String) throws -> Int64 {
        var info = stat()
        try check(stat(path, &info), "stat", path)
        return Int64(info.st_size)
    }

    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw WeirLogError.io(operation: "list", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func remove(_ path: String) throws {
        if Glibc.unlink(path) < 0 && errno != ENOENT {
            throw WeirLogError.io(operation: "delete", path: path, errno: errno)
        }
    }

    /// rm -r.
    public static func removeTree(_ path: String) throws {
        if isDirectory(path) {
            for name in try listDirectory(path) { try removeTree(path + "/" + name) }
            try check(Glibc.rmdir(path), "delete directory", path)
        } else {
            try remove(path)
        }
    }

    static func rename(_ from: String, _ to: String) throws {
        try check(Glibc.rename(from, to), "rename to \(to)", from)
    }

    /// Opens `path`, close-on-exec (a plugin process started later must not hold it).
    /// - Parameter create: create the file (mode 0644) when it does not exist.
    /// - Throws: `WeirLogError.io` naming `path`.
    public static func open(_ path: String, _ mode: FileDescriptor.AccessMode, create: Bool = false) throws -> FileDescriptor {
        do {
            return try FileDescriptor.open(
                FilePath(path), mode, options: create ? [.create, .closeOnExec] : [.closeOnExec],
                permissions: create ? [.ownerReadWrite, .groupRead, .otherRead] : nil)
        } catch let error as Errno {
            throw WeirLogError.io(operation: "open", path: path, errno: error.rawValue)
        }
    }

    /// Reads exactly `count` bytes at `offset`, or fewer only at the end of the file.
    static func read(_ fd: FileDescriptor, at offset: Int64, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n: Int
            do {
                n = try fd.read(
                    fromAbsoluteOffset: offset + Int64(done),
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            } catch let error as Errno {
                throw WeirLogError.io(operation: "read", path: path, errno: error.rawValue)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads `count` bytes at `offset`; fewer only where the file ends before.
    /// - Throws: `WeirLogError.io` naming `path`.
    public static func read(_ fd: FileDescriptor, at offset: Int64, count: Int, path: String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try bytes.withUnsafeMutableBytes { try read(fd, at: offset, into: $0, path: path) }
        if n < count { bytes.removeSubrange(n...) }
        return bytes
    }

    /// Writes all of `bytes` at `offset`, as the list-of-buffers `write` does.
    /// - Throws: `WeirLogError.io` naming `path`.
    public static func write(_ fd: FileDescriptor, at offset: Int64, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        try write(fd, at: offset, [bytes], path: path)
    }

    /// Writes the buffers back to back at `offset` with one `pwritev` (more if it is short).
    /// A call interrupted by a signal is made again; on a full disk it waits for space
    /// (`DiskSpace`) and goes on where it stopped.
    /// - Throws: `WeirLogError.io` naming `path` (and, once `DiskSpace.stopWaiting()`
    ///   was called, for a full disk too).
    public static func write(_ fd: FileDescriptor, at offset: Int64, _ buffers: [UnsafeRawBufferPointer], path: String) throws {
        var pending = buffers.filter { $0.count > 0 }
        var position = offset
        while !pending.isEmpty {
            let vectors = pending.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
            let n = vectors.withUnsafeBufferPointer { Glibc.pwritev(fd.rawValue, $0.baseAddress, Int32($0.count), off_t(position)) }
            if n < 0 {
                let code = errno
                if code == EINTR || DiskSpace.waitIfFull(code, path: path) { continue }
                throw WeirLogError.io(operation: "write", path: path, errno: code)
            }
            position += Int64(n)
            var written = n
            while written > 0, let first = pending.first {
                if first.count <= written {
                    written -= first.count
                    pending.removeFirst()
                } else {
                    pending[0] = UnsafeRawBufferPointer(rebasing: first[written...])
                    written = 0
                }
            }
        }
        DiskSpace.wrote(path: path)
    }

    /// Cuts (or extends with zeros) the file to `size` bytes.
    /// - Throws: `WeirLogError.io` naming `path`.
    public static func truncate(_ fd: FileDescriptor, to size: Int64, path: String) throws {
        try check(Glibc.ftruncate(fd.rawValue, off_t(size)), "truncate", path)
    }

    public static func readWholeFile(_ path: String) throws -> [UInt8] {
        let fd = try open(path, .readOnly)
        defer { try? fd.close() }
        return try read(fd, at: 0, count: Int(try fileSize(path)), path: path)
    }

    /// Replaces `path` atomically and durably: write a temporary file, fsync it,
    /// rename it over `path`, fsync the directory. A crash leaves the old or the new file.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let temporary = path + ".tmp"
        let fd = try open(temporary, .writeOnly, create: true)
        do {
            try truncate(fd, to: 0, path: temporary)
            try bytes.withUnsafeBytes { try write(fd, at: 0, $0, path: temporary) }
            try fsync(fd, path: temporary)
            try fd.close()
        } catch {
            try? fd.close()
            throw error
        }
        try rename(temporary, path)
        try fsyncDirectory(directory(of: path))
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
