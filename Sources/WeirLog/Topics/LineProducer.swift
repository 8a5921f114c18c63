import Foundation
import Glibc

/// Turns a byte stream of lines into records: each line (without `\n` or `\r\n`; a
/// last line without a newline counts too) is one record value.
///
/// Reads in large chunks and splits with `memchr`; a line is never copied on its way
/// into a batch. When the input has nothing more ready (a person typing, a slow pipe),
/// pending batches are appended at once instead of waiting for them to fill.
public final class LineProducer {
    public enum KeySource: Sendable {
        case none
        case fixed([UInt8])
        /// A top-level field of a JSON line; lines without it get a null key.
        case jsonField(String)
    }

    public struct Summary: Sendable, Equatable {
        public var lines = 0
        public var bytes = 0
        /// Lines whose key field was missing or not JSON (appended with a null key).
        public var linesWithoutKey = 0
    }

    private let producer: Producer
    private let key: KeySource
    private let chunkSize: Int

    public init(producer: Producer, key: KeySource = .none, chunkSize: Int = 1 << 20) {
        self.producer = producer
        self.key = key
        self.chunkSize = chunkSize
    }

    /// Reads `fd` to its end, appending every line; returns once all of it is appended.
    public func run(fd: Int32) throws -> Summary {
        var summary = Summary()
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var carried = 0  // bytes of an unfinished line at the start of the buffer
        while true {
            if carried == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let n = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + carried, raw.count - carried)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw WeirLogError.io(operation: "read", path: "standard input", errno: errno)
            }
            if n == 0 {
                if carried > 0 {
                    try buffer.withUnsafeBytes {
                        try emit(UnsafeRawBufferPointer(rebasing: $0[0..<carried]), timestamp: currentTimeMillis(), &summary)
                    }
                }
                break
            }
            let filled = carried + n
            // One timestamp per read: every line in a chunk arrived at the same moment.
            let now = currentTimeMillis()
            let consumed = try buffer.withUnsafeBytes { raw -> Int in
                var start = 0
                while start < filled,
                    let newline = memchr(raw.baseAddress! + start, 0x0a, filled - start)
                {
                    let end = raw.baseAddress!.distance(to: UnsafeRawPointer(newline))
                    try emit(UnsafeRawBufferPointer(rebasing: raw[start..<end]), timestamp: now, &summary)
                    start = end + 1
                }
                return start
            }
            carried = filled - consumed
            if consumed > 0, carried > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + consumed, byteCount: carried)
                }
            }
            if !Self.hasMoreReady(fd) { try producer.flush() }
        }
        try producer.flush()
        return summary
    }

    private func emit(_ line: UnsafeRawBufferPointer, timestamp: Int64, _ summary: inout Summary) throws {
        var line = line
        if let last = line.last, last == 0x0d { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        summary.lines += 1
        summary.bytes += line.count
        switch key {
        case .none:
            try producer.send(key: nil, value: line, timestamp: timestamp)
        case .fixed(let bytes):
            try bytes.withUnsafeBytes { try producer.send(key: $0, value: line, timestamp: timestamp) }
        case .jsonField(let field):
            if let keyBytes = Self.jsonField(field, in: line) {
                try keyBytes.withUnsafeBytes { try producer.send(key: $0, value: line, timestamp: timestamp) }
            } else {
                summary.linesWithoutKey += 1
                try producer.send(key: nil, value: line, timestamp: timestamp)
            }
        }
    }

    /// The field's value as key bytes: strings as their UTF-8, other scalars as JSON text.
    static func jsonField(_ field: String, in line: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed]) as? [String: Any],
            let value = object[field], !(value is NSNull)
        else { return nil }
        if let text = value as? String { return Array(text.utf8) }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
            return Array(data)
        }
        return nil
    }

    /// Whether more input can be read right now without blocking.
    private static func hasMoreReady(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0
    }
}
