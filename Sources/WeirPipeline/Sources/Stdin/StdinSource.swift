import Foundation
import WeirLog
import WeirValues

/// The `stdin` source: lines of standard input until its end (or until the run stops).
/// Standard input cannot be read twice, so it has no position to resume from.
struct StdinSource: PipelineSource {
    var fd: Int32 = 0

    func run(_ context: SourceContext) throws {
        let (writer, stop) = (context.writer, context.stop)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var carried = 0
        while !stop.isSet {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, 100)
            if polled == 0 { continue }
            if polled < 0 && errno == EINTR { continue }
            if carried == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + carried, $0.count - carried) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let filled = carried + n
            let now = currentTimeMillis()
            let consumed = try buffer.withUnsafeBytes { raw -> Int in
                var start = 0
                while start < filled, let newline = memchr(raw.baseAddress! + start, 0x0a, filled - start) {
                    let end = raw.baseAddress!.distance(to: UnsafeRawPointer(newline))
                    try writer.add(Self.trimmed(UnsafeRawBufferPointer(rebasing: raw[start..<end])), timestamp: now)
                    start = end + 1
                }
                return start
            }
            try writer.endChunk()
            try writer.flush()
            carried = filled - consumed
            if consumed > 0, carried > 0 {
                buffer.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + consumed, byteCount: carried) }
            }
        }
        if carried > 0 {
            try buffer.withUnsafeBytes {
                try writer.add(Self.trimmed(UnsafeRawBufferPointer(rebasing: $0[0..<carried])), timestamp: currentTimeMillis())
            }
            try writer.endChunk()
        }
        try writer.flush(force: true)
    }

    /// A line without the `\r` of a `\r\n` ending (every line source uses this).
    static func trimmed(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        line.last == 0x0d ? UnsafeRawBufferPointer(rebasing: line.dropLast()) : line
    }
}
