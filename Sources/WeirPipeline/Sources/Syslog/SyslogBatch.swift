/// Frames received and not yet appended, packed into one buffer: what the listeners'
/// event loop fills and the source's thread appends as one chunk.
struct SyslogBatch: Sendable {
    /// The frames' bytes, one after another.
    var bytes: [UInt8] = []
    /// Each frame's range in `bytes`.
    var frames: [Range<Int>] = []
    /// Frames cut to `max_frame_bytes` (appended cut, counted as errors).
    var truncated = 0
    /// What could not be framed (a bad octet count), for the dead-letter topic.
    var rejected: [(value: [UInt8], reason: String)] = []

    var isEmpty: Bool { frames.isEmpty && truncated == 0 && rejected.isEmpty }

    /// Adds one frame, without a trailing `\n` or `\r\n` (newline framing's terminator,
    /// which some senders put inside octet-counted frames and datagrams too).
    mutating func add(_ frame: UnsafeRawBufferPointer) {
        var end = frame.count
        if end > 0 && frame[end - 1] == 0x0a { end -= 1 }
        if end > 0 && frame[end - 1] == 0x0d { end -= 1 }
        guard end > 0 else { return }
        let start = bytes.count
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: frame[0..<end]))
        frames.append(start..<bytes.count)
    }

    /// Empties the batch, keeping its capacity.
    mutating func clear() {
        bytes.removeAll(keepingCapacity: true)
        frames.removeAll(keepingCapacity: true)
        truncated = 0
        rejected.removeAll()
    }
}
