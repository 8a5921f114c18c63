/// A `"…"` field of a web server's log line: the range inside the quotes, and whether it
/// holds backslash escapes (Apache writes `\"` and `\\`; nginx writes `\x22`), so the
/// common case, none, stays a slice of the line.
struct QuotedText: Sendable, Equatable {
    var range: Range<Int>
    var escaped: Bool

    /// The text with `\"` and `\\` unescaped (`\xhh` and other escapes are kept as
    /// written: they may stand for bytes that are not UTF-8).
    static func unescaped(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\\"), index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "\\")
            {
                out.append(bytes[index])
                index += 1
            } else {
                out.append(byte)
            }
        }
        return out[...]
    }
}

extension ByteScanner {
    /// `"…"` up to the first quote no backslash escapes.
    mutating func quoted(_ name: String) throws(FormatError) -> QuotedText {
        guard skip(UInt8(ascii: "\"")) else { throw FormatError("no quoted \(name) at \(excerpt(from: at))") }
        let start = at
        var escaped = false
        while let byte = peek {
            if byte == UInt8(ascii: "\"") {
                at += 1
                return QuotedText(range: start..<(at - 1), escaped: escaped)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                at += 1
            }
            at += 1
        }
        throw FormatError("the \(name) \(excerpt(from: start - 1)) has no closing quote")
    }

    /// Whether only spaces are left.
    mutating func endsBlank() -> Bool {
        skipSpaces()
        return atEnd
    }
}
