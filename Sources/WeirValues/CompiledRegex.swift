import CPCRE2

/// A regular expression compiled once (PCRE2, JIT-compiled where the CPU allows), matched
/// on a string's UTF-8 bytes with no conversion: the hot path of `parse_regex`,
/// `matches` and `multiline`. Perl syntax, with named groups `(?<name>…)`.
///
/// The compiled code is read-only and shared by every thread; each match gets its own
/// match data. A match that backtracks past PCRE2's limits fails instead of hanging.
public final class CompiledRegex: @unchecked Sendable {
    // unchecked: `code` is an OpaquePointer to PCRE2 code, read-only after init, which PCRE2 lets threads share.
    public let pattern: String
    private let code: OpaquePointer
    /// Named groups and their numbers, in pattern order.
    public let groups: [(name: String, number: Int)]

    public struct SyntaxError: Error, CustomStringConvertible {
        /// Byte offset in the pattern where PCRE2 gave up.
        public var offset: Int
        public var message: String
        public var description: String { "\(message) at offset \(offset)" }
    }

    public init(_ pattern: String) throws(SyntaxError) {
        self.pattern = pattern
        var errorCode: Int32 = 0
        var errorOffset = 0
        let compiled = pattern.utf8CString.withUnsafeBufferPointer { text in
            text.withMemoryRebound(to: UInt8.self) { bytes in
                pcre2_compile_8(bytes.baseAddress, bytes.count - 1, UInt32(PCRE2_UTF), &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            var buffer = [UInt8](repeating: 0, count: 256)
            let length = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
            throw SyntaxError(offset: errorOffset, message: String(decoding: buffer.prefix(max(0, Int(length))), as: UTF8.self))
        }
        code = compiled
        _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        groups = Self.namedGroups(compiled)
    }

    deinit { pcre2_code_free_8(code) }

    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { match($0) { _ in () } } != nil
    }

    /// The named groups that took part in the match, as strings; nil when it does not match.
    public func captures(_ text: String) -> [(String, String)]? {
        captures(text) { $0 }
    }

    /// The named groups that took part in the match, each made into `T` as it is cut out.
    public func captures<T>(_ text: String, _ make: (String) -> T) -> [(String, T)]? {
        var text = text
        return text.withUTF8 { bytes in
            match(bytes) { vector in
                var result: [(String, T)] = []
                result.reserveCapacity(groups.count)
                for group in groups {
                    let start = vector[2 * group.number]
                    let end = vector[2 * group.number + 1]
                    // An unset group is PCRE2_UNSET (~0, which Swift cannot import).
                    guard start != -1, end >= start, end <= bytes.count else { continue }
                    result.append((group.name, make(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))))
                }
                return result
            }
        }
    }

    /// Match data for several matches on one thread (a batch): made once, not per match.
    public final class Matcher {
        let regex: CompiledRegex
        private let data: OpaquePointer?

        init(_ regex: CompiledRegex) {
            self.regex = regex
            data = pcre2_match_data_create_from_pattern_8(regex.code, nil)
        }

        deinit { if let data { pcre2_match_data_free_8(data) } }

        /// Matches valid UTF-8 `bytes` (ASCII is); `capture` gets each named group that took
        /// part, by its index in `groups`, with its byte range. False when it does not match.
        public func match(_ bytes: UnsafeBufferPointer<UInt8>, _ capture: (Int, Range<Int>) -> Void) -> Bool {
            guard let data else { return false }
            let subject = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
            let result = pcre2_match_8(regex.code, subject, bytes.count, 0, UInt32(PCRE2_NO_UTF_CHECK), data, nil)
            guard result > 0, let vector = pcre2_get_ovector_pointer_8(data) else { return false }
            for (index, group) in regex.groups.enumerated() {
                let start = vector[2 * group.number]
                let end = vector[2 * group.number + 1]
                guard start != -1, end >= start, end <= bytes.count else { continue }
                capture(index, start..<end)
            }
            return true
        }
    }

    /// Match data for matches on one thread.
    public func matcher() -> Matcher { Matcher(self) }

    /// Runs one match over `bytes`; `read` sees the ovector (start/end pairs per group).
    private func match<T>(_ bytes: UnsafeBufferPointer<UInt8>, _ read: (UnsafeMutablePointer<Int>) -> T) -> T? {
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else { return nil }
        defer { pcre2_match_data_free_8(data) }
        // Swift strings are valid UTF-8: PCRE2 need not check them again.
        let subject = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let result = pcre2_match_8(code, subject, bytes.count, 0, UInt32(PCRE2_NO_UTF_CHECK), data, nil)
        guard result > 0, let vector = pcre2_get_ovector_pointer_8(data) else { return nil }
        return read(vector)
    }

    private static func namedGroups(_ code: OpaquePointer) -> [(name: String, number: Int)] {
        var count: UInt32 = 0
        var entrySize: UInt32 = 0
        var table: UnsafeMutableRawPointer?
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table)
        guard let table, count > 0 else { return [] }
        // Each entry: the group number in two bytes (big endian), then the NUL-ended name.
        let groups = (0..<Int(count)).map { i -> (name: String, number: Int) in
            let entry = table.advanced(by: i * Int(entrySize)).assumingMemoryBound(to: UInt8.self)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            return (String(cString: entry + 2), number)
        }
        return groups.sorted { $0.number < $1.number }
    }
}
