#if canImport(Glibc)
import Glibc

/// One Linux inotify instance: watches added to it, and the events they report, read
/// without blocking (wait for its descriptor to be readable with poll(2) first).
final class Inotify: Sendable {
    /// The instance's descriptor, non-blocking, closed when this is released.
    let fd: Int32

    /// One reported change: `name` is the entry of a watched directory it concerns
    /// (empty when it concerns the directory itself, or for a queue overflow).
    struct Event {
        var watch: Int32
        var mask: UInt32
        var name: String

        func has(_ flag: Int32) -> Bool { mask & UInt32(bitPattern: flag) != 0 }
    }

    /// A new instance; nil (with `errno` set) when the kernel refuses one, e.g. when the
    /// user's limit of instances (`fs.inotify.max_user_instances`) is reached.
    init?() {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd < 0 { return nil }
    }

    deinit { close(fd) }

    /// Watches `path` for the events of `mask`: its watch descriptor, or the `errno` of
    /// the refusal (`ENOSPC`: the limit `fs.inotify.max_user_watches` is reached).
    func watch(_ path: String, mask: Int32) -> Result<Int32, Errno> {
        let watch = inotify_add_watch(fd, path, UInt32(bitPattern: mask))
        return watch >= 0 ? .success(watch) : .failure(Errno(errno))
    }

    /// Ends a watch; its last event is `IN_IGNORED`.
    func remove(_ watch: Int32) { inotify_rm_watch(fd, watch) }

    /// Reads every event queued now, without blocking.
    func readEvents(_ visit: (Event) -> Void) {
        // Room for many events at once: one read of a busy directory takes them all.
        let capacity = 64 << 10
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: MemoryLayout<inotify_event>.alignment)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer, capacity)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            var at = 0
            let header = MemoryLayout<inotify_event>.size
            while at + header <= n {
                let event = buffer.load(fromByteOffset: at, as: inotify_event.self)
                let length = Int(event.len)
                var name = ""
                if length > 0 {
                    // The name is NUL-padded to its length.
                    let bytes = UnsafeRawBufferPointer(start: buffer + at + header, count: min(length, n - at - header))
                    name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                visit(Event(watch: event.wd, mask: event.mask, name: name))
                at += header + length
            }
        }
    }

    /// An `errno` value, with the system's text for it.
    struct Errno: Error, Equatable, CustomStringConvertible {
        var code: Int32
        init(_ code: Int32) { self.code = code }
        var description: String { String(cString: strerror(code)) }
    }
}
#endif
