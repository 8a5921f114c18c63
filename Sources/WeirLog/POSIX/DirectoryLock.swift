import Glibc
import Synchronization

/// The one-owner guard of a data directory: an exclusive `flock` on `<dir>/.lock`,
/// which holds the owner's PID so a second process can say who is in the way.
/// The kernel drops the lock when the owner exits, however it exits.
///
/// Every owner, this version or an older one, rewrites the file when it takes the lock,
/// so a line a clean close adds to it (`close <token>`) survives exactly until the next
/// owner: what the close wrote elsewhere with the same token is known to be its last word.
final class DirectoryLock: Sendable {
    let path: String
    /// The token the previous owner's clean close left, if it left one and no owner came
    /// in between.
    let previousCloseToken: String?
    private let fd: Mutex<Int32?>

    init(directory: String) throws {
        path = directory + "/.lock"
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        try FileSystem.check(fd, "open lock file", path)
        if flock(fd, LOCK_EX | LOCK_NB) < 0 {
            let code = errno
            defer { Glibc.close(fd) }
            guard code == EWOULDBLOCK else { throw WeirLogError.io(operation: "lock", path: path, errno: code) }
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = Glibc.pread(fd, &buffer, buffer.count, 0)
            let text = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
            let holder = Int32(text.trimmingWhitespace())
            throw WeirLogError.directoryLocked(path: directory, holder: holder)
        }
        var previous = [UInt8](repeating: 0, count: 256)
        let n = Glibc.pread(fd, &previous, previous.count, 0)
        previousCloseToken = Self.closeToken(in: n > 0 ? String(decoding: previous[0..<n], as: UTF8.self) : "")
        let pid = Array("\(getpid())\n".utf8)
        Glibc.ftruncate(fd, 0)
        _ = Glibc.pwrite(fd, pid, pid.count, 0)
        self.fd = Mutex(fd)
    }

    /// Adds `close <token>` to the file, durably: the mark of a clean close, read by the
    /// next owner as `previousCloseToken`.
    func stampClose(token: String) throws {
        try fd.withLock { fd in
            guard let open = fd else { throw WeirLogError.io(operation: "stamp lock file", path: path, errno: EBADF) }
            let text = Array("\(getpid())\nclose \(token)\n".utf8)
            try FileSystem.check(Glibc.ftruncate(open, 0), "truncate lock file", path)
            let written = Glibc.pwrite(open, text, text.count, 0)
            guard written == text.count else {
                throw WeirLogError.io(operation: "write lock file", path: path, errno: written < 0 ? errno : EIO)
            }
            try FileSystem.check(Glibc.fsync(open), "fsync", path)
        }
    }

    private static func closeToken(in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("close ") }.map { String($0.dropFirst("close ".count)) }
    }

    /// Gives the directory up; later calls do nothing.
    func release() {
        fd.withLock { fd in
            guard let open = fd else { return }
            flock(open, LOCK_UN)
            Glibc.close(open)
            fd = nil
        }
    }

    deinit { release() }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
