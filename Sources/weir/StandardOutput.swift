import Glibc

/// Buffered writes to standard output with `write(2)`: one system call per 64 KiB,
/// not per line. A closed pipe (`| head`) ends output quietly instead of killing Weir.
final class StandardOutput: @unchecked Sendable {  // used by one task at a time
    struct Closed: Error {}

    private var buffer: [UInt8] = []
    private let capacity = 64 << 10

    init() {
        buffer.reserveCapacity(capacity)
        signal(SIGPIPE, SIG_IGN)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= capacity { try flush() }
    }

    func flush() throws {
        var done = 0
        try buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Glibc.write(1, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Closed()
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
