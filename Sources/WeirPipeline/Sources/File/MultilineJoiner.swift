import Foundation
import WeirValues

/// Joins lines into one record for the `multiline` option of `file` and `tail`, so a
/// Java stack trace is one event.
///
/// With `start_pattern`, a line that matches begins a record and every other line joins
/// the one before; with `continuation_pattern`, a line that matches joins the one before
/// and every other line begins a record. A record is complete when the next one begins,
/// when it reaches `max_lines`, or when no line came for `timeout_ms` (the reader asks).
struct MultilineJoiner {
    struct Rule: Sendable {
        var start: CompiledRegex?
        var continuation: CompiledRegex?
        var maxLines = 500
        var timeoutMs: Int64 = 1000
        /// The source's max_line_bytes.
        var maxBytes = 1 << 20

        /// The `multiline` option of `file` and `tail`, as the loader checks it.
        static let option = OptionSpec(
            "multiline",
            .object(
                OptionSchema(
                    [
                        OptionSpec("start_pattern", .regex), OptionSpec("continuation_pattern", .regex),
                        OptionSpec("max_lines", .integer(1...100_000)), OptionSpec("timeout_ms", .integer(1...3_600_000)),
                    ], requiresOneOf: ["start_pattern", "continuation_pattern"])))

        /// The rule a checked `multiline` option gives; nil without one.
        init?(_ values: Fields?) {
            guard let values else { return nil }
            if case .string(let pattern) = values["start_pattern"] { start = try? CompiledRegex(pattern) }
            if case .string(let pattern) = values["continuation_pattern"] { continuation = try? CompiledRegex(pattern) }
            if case .int(let n) = values["max_lines"] { maxLines = Int(n) }
            if case .int(let n) = values["timeout_ms"] { timeoutMs = n }
            if start == nil && continuation == nil { return nil }
        }

        func begins(_ line: String) -> Bool {
            if let start { return start.matches(line) }
            if let continuation { return !continuation.matches(line) }
            return true
        }
    }

    let rule: Rule
    private(set) var pending: [UInt8] = []
    private(set) var pendingLines = 0
    /// File offset just after the last line joined.
    private(set) var pendingEnd: UInt64 = 0

    init(rule: Rule) { self.rule = rule }

    var isEmpty: Bool { pendingLines == 0 }

    /// Adds a line that ends at file offset `end`; returns the record it completed, if any
    /// (the bytes and the offset just after its last line).
    mutating func add(_ line: UnsafeRawBufferPointer, end: UInt64) -> (bytes: [UInt8], end: UInt64)? {
        var completed: (bytes: [UInt8], end: UInt64)?
        if pendingLines > 0 && (pendingLines >= rule.maxLines || rule.begins(String(decoding: line, as: UTF8.self))) {
            completed = take()
        }
        // A joined record is held to max_line_bytes too (the rest of its lines are dropped).
        if pending.count < rule.maxBytes {
            if pendingLines > 0 { pending.append(0x0a) }
            pending.append(contentsOf: line.prefix(max(0, rule.maxBytes - pending.count)))
        }
        pendingLines += 1
        pendingEnd = end
        return completed
    }

    /// The newline of the last line joined came after that line was added unfinished:
    /// the record now ends after it, at `end`.
    mutating func extendLastLine(to end: UInt64) {
        if pendingLines > 0 { pendingEnd = end }
    }

    /// The record being joined, now (timeout or end of input).
    mutating func take() -> (bytes: [UInt8], end: UInt64)? {
        guard pendingLines > 0 else { return nil }
        defer {
            pending.removeAll(keepingCapacity: true)
            pendingLines = 0
        }
        return (pending, pendingEnd)
    }
}
