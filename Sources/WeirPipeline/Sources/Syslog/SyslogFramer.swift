import Foundation

/// Splits one TCP connection's bytes into syslog messages as RFC 6587 frames them: a
/// frame that starts with a digit is octet-counted (`LEN SP MSG`), any other is a line
/// ended by `\n` (non-transparent framing), each frame deciding for itself as rsyslog
/// does. Digits not followed by a space are no count: that frame is a line (a plain line
/// may start with a date).
///
/// A line longer than `maxFrameBytes` is cut there (its rest skipped up to its `\n`) and
/// counted; an octet count over `maxFrameBytes` (or of zero, or of more than ten digits)
/// is a framing error: nothing after it can be trusted, so the connection is closed.
struct SyslogFramer {
    let maxFrameBytes: Int
    /// A frame begun in an earlier read (bytes of a line, of a count, of a counted frame).
    private var pending: [UInt8] = []
    private var mode = Mode.start

    private enum Mode {
        /// Between frames.
        case start
        /// Reading the digits of an octet count (kept in `pending`).
        case count
        /// Inside an octet-counted frame: this many bytes still to come.
        case counted(Int)
        /// Inside a line.
        case line
        /// Skipping the rest of a line cut at `maxFrameBytes`.
        case skipping
    }

    /// Why the connection must close: a framing error.
    struct FramingError: Error, CustomStringConvertible {
        var description: String
        /// The frame's first bytes, for the dead-letter topic.
        var head: [UInt8]
    }

    init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Adds the complete frames of `input` (with what earlier reads left) to `batch`.
    /// After an error, the frames before it are in `batch` and the rest is to be dropped.
    mutating func feed(_ input: UnsafeRawBufferPointer, into batch: inout SyslogBatch) throws(FramingError) {
        var i = 0
        let n = input.count
        while i < n {
            switch mode {
            case .start:
                let byte = input[i]
                if byte == 0x0a || byte == 0x0d || byte == 0 {
                    i += 1  // empty lines between frames
                } else if Self.isDigit(byte), let (length, next) = Self.count(in: input, from: i, max: maxFrameBytes) {
                    // The usual case: the whole count is in this read, and valid.
                    i = next
                    mode = .counted(length)
                } else if Self.isDigit(byte) {
                    mode = .count  // byte by byte: it spans reads, is no count, or is bad
                } else {
                    mode = .line
                }
            case .count:
                let byte = input[i]
                if Self.isDigit(byte) {
                    pending.append(byte)
                    i += 1
                    if pending.count > 10 {
                        throw framingError("an octet count of more than ten digits", head: input, from: i)
                    }
                } else if byte == 0x20 {
                    let length = pending.reduce(0) { $0 * 10 + Int($1 &- 0x30) }  // at most ten digits
                    if length == 0 || length > maxFrameBytes {
                        throw framingError(
                            length == 0
                                ? "an octet count of zero" : "an octet count of \(length) over max_frame_bytes (\(maxFrameBytes))",
                            head: input, from: i)
                    }
                    pending.removeAll(keepingCapacity: true)
                    i += 1
                    mode = .counted(length)
                } else {
                    mode = .line  // digits, then no space: a line that starts with digits
                }
            case .counted(let remaining):
                let take = min(remaining, n - i)
                let piece = UnsafeRawBufferPointer(rebasing: input[i..<i + take])
                i += take
                if take == remaining {
                    if pending.isEmpty {
                        batch.add(piece)
                    } else {
                        pending.append(contentsOf: piece)
                        pending.withUnsafeBytes { batch.add($0) }
                        pending.removeAll(keepingCapacity: true)
                    }
                    mode = .start
                } else {
                    pending.append(contentsOf: piece)
                    mode = .counted(remaining - take)
                }
            case .line:
                let rest = UnsafeRawBufferPointer(rebasing: input[i..<n])
                let newline = memchr(rest.baseAddress!, 0x0a, rest.count)
                let end = newline.map { rest.baseAddress!.distance(to: UnsafeRawPointer($0)) } ?? rest.count
                let piece = UnsafeRawBufferPointer(rebasing: rest[0..<end])
                if pending.count + piece.count > maxFrameBytes {
                    pending.append(contentsOf: piece.prefix(maxFrameBytes - pending.count))
                    pending.withUnsafeBytes { batch.add($0) }
                    batch.truncated += 1
                    pending.removeAll(keepingCapacity: true)
                    mode = newline == nil ? .skipping : .start
                } else if newline == nil {
                    pending.append(contentsOf: piece)
                } else if pending.isEmpty {
                    batch.add(piece)
                    mode = .start
                } else {
                    pending.append(contentsOf: piece)
                    pending.withUnsafeBytes { batch.add($0) }
                    pending.removeAll(keepingCapacity: true)
                    mode = .start
                }
                i += newline == nil ? rest.count : end + 1
            case .skipping:
                let rest = UnsafeRawBufferPointer(rebasing: input[i..<n])
                if let newline = memchr(rest.baseAddress!, 0x0a, rest.count) {
                    i += rest.baseAddress!.distance(to: UnsafeRawPointer(newline)) + 1
                    mode = .start
                } else {
                    i = n
                }
            }
        }
    }

    /// The connection ended: a line without its `\n` (or lone digits) is a frame, as a
    /// file's last line is; an octet-counted frame cut short goes to `batch.rejected`.
    mutating func finish(into batch: inout SyslogBatch) {
        switch mode {
        case .line, .count:
            pending.withUnsafeBytes { batch.add($0) }
        case .counted(let remaining):
            batch.rejected.append(
                (pending, "the connection closed \(remaining) bytes before the end of an octet-counted frame"))
        case .start, .skipping:
            break
        }
        pending.removeAll()
        mode = .start
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The octet count that starts at `i` when all of it, and its space, are in `input`
    /// and it is valid (1 … `max`, at most ten digits): its value and where its frame
    /// starts. Nil sends the caller the slow way, which keeps partial counts and reports
    /// bad ones. Per frame, this is most of what framing costs.
    @inline(__always)
    private static func count(in input: UnsafeRawBufferPointer, from i: Int, max: Int) -> (Int, Int)? {
        var value = 0
        var j = i
        while j < input.count, j - i <= 10 {
            let byte = input[j]
            if byte == 0x20 { return j > i && value > 0 && value <= max ? (value, j + 1) : nil }
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte &- 0x30)
            j += 1
        }
        return nil
    }

    /// A framing error, with the bad frame's start (its count and what followed, up to 256 bytes).
    private mutating func framingError(_ what: String, head input: UnsafeRawBufferPointer, from i: Int) -> FramingError {
        var head = pending
        head.append(contentsOf: input[i..<min(input.count, i + 256)])
        pending.removeAll()
        mode = .start
        return FramingError(description: "\(what): the connection is closed", head: head)
    }
}
