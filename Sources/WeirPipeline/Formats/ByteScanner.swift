/// A cursor over a line's bytes for the hand-written log-format parsers: they read fixed
/// layouts (`<PRI>`, `[10/Oct/2000:13:55:36 -0700]`) byte by byte, with no String made
/// and no regex run. Positions are offsets from the start of the buffer.
struct ByteScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { at >= bytes.count }

    /// The byte under the cursor; nil at the end.
    var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    /// Moves past `byte` when it is next; whether it was.
    mutating func skip(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        at += 1
        return true
    }

    /// Moves past `text` when it comes next; whether it did.
    mutating func skip(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard at + count <= bytes.count else { return false }
        let start = text.utf8Start
        for offset in 0..<count where bytes[at + offset] != start[offset] { return false }
        at += count
        return true
    }

    mutating func skipSpaces() {
        while peek == UInt8(ascii: " ") { at += 1 }
    }

    /// The bytes up to the first space (or the end), moving past them.
    mutating func word() -> Range<Int> {
        take { $0 != UInt8(ascii: " ") }
    }

    /// The longest run of bytes that `accept`s, moving past it.
    mutating func take(while accept: (UInt8) -> Bool) -> Range<Int> {
        let start = at
        while at < bytes.count, accept(bytes[at]) { at += 1 }
        return start..<at
    }

    /// Exactly `count` decimal digits as a number; nil (the cursor unmoved) otherwise.
    mutating func digits(_ count: Int) -> Int? {
        guard at + count <= bytes.count else { return nil }
        var value = 0
        for offset in 0..<count {
            let digit = Int(bytes[at + offset]) &- 48
            guard digit >= 0, digit <= 9 else { return nil }
            value = value * 10 + digit
        }
        at += count
        return value
    }

    /// One to `limit` (at most 18, so it cannot overflow) decimal digits as a number; nil
    /// when there is none or more follow.
    mutating func number(upTo limit: Int) -> Int64? {
        let run = take { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !run.isEmpty, run.count <= min(limit, 18) else {
            at = run.lowerBound
            return nil
        }
        return run.reduce(0) { $0 * 10 + Int64(bytes[$1] - 48) }
    }

    /// A three-letter English month (`Jan`), 1 to 12.
    mutating func month() -> Int? {
        guard at + 3 <= bytes.count, let month = CivilTime.month(bytes[at], bytes[at + 1], bytes[at + 2]) else { return nil }
        at += 3
        return month
    }

    /// `hh:mm:ss` as seconds into the day.
    mutating func clock() -> Int? {
        let start = at
        guard let hour = digits(2), skip(UInt8(ascii: ":")), let minute = digits(2), skip(UInt8(ascii: ":")),
            let second = digits(2), hour < 24, minute < 60, second <= 60
        else {
            at = start
            return nil
        }
        return hour * 3600 + minute * 60 + min(second, 59)
    }

    /// `.fraction` of a second (any number of digits) as milliseconds, truncated; 0 when
    /// no `.` follows.
    mutating func fractionMillis() -> Int {
        guard skip(UInt8(ascii: ".")) else { return 0 }
        let run = take { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        var millis = 0
        for offset in 0..<3 {
            millis *= 10
            if offset < run.count { millis += Int(bytes[run.lowerBound + offset] - 48) }
        }
        return millis
    }

    /// "the time '…' is not …": made only when a line fails, since an excerpt costs a
    /// String or two.
    func malformed(_ what: String, from start: Int, limit: Int, expected: String) -> FormatError {
        FormatError("the \(what) \(excerpt(from: start, limit: limit)) is not \(expected)")
    }

    /// A short excerpt of the bytes from `start`, for a failure's reason.
    func excerpt(from start: Int, limit: Int = 24) -> String {
        let end = min(bytes.count, start + limit)
        guard start < end else { return "the end of the line" }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        return "'" + text + (end < bytes.count ? "…'" : "'")
    }
}

/// Why a line is not in the format a parser reads: one clear line for the dead-letter
/// topic's reason.
struct FormatError: Error, Equatable, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
