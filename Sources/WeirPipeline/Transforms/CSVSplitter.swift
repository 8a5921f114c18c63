/// Splits one line of delimiter-separated values as RFC 4180 reads a record: a value
/// that starts with the quote runs to the matching quote, holding delimiters and doubled
/// quotes (`""` is one `"`); a quote anywhere else is an ordinary byte. It works on the
/// line's UTF-8 bytes and only ever stops at its ASCII delimiter and quote, which never
/// occur inside a multi-byte sequence, so every value is a whole string.
///
/// A record is one line: a quoted value cannot go on past the end of the text it is given.
/// (A newline inside the text, as a multiline source joins lines, is an ordinary byte.)
struct CSVSplitter: Sendable {
    /// The byte between values (ASCII).
    let delimiter: UInt8
    /// The byte that quotes a value (ASCII); nil when values are never quoted.
    let quote: UInt8?
    /// Whether spaces and tabs around each value (outside its quotes) are dropped.
    let trim: Bool

    /// Where one value is, as offsets into the line.
    struct Span: Sendable {
        /// Its text: inside the quotes for a quoted value.
        var start: Int
        var end: Int
        /// Its first byte as written (before the blanks `trim` drops and the quote).
        var rawStart: Int
        /// Whether the text holds doubled quotes, each of which stands for one.
        var doubledQuotes: Bool
    }

    enum Outcome: Equatable {
        /// The line ended with the last value appended.
        case ended
        /// `limit` values were appended and more text follows at this offset (after a delimiter).
        case more(Int)
        /// A quoted value (numbered from 1 in the line) whose closing quote is missing.
        case unclosedQuote(Int)
        /// A quoted value with text after its closing quote, before the next delimiter.
        case textAfterQuote(Int)
    }

    /// Appends the values of `line` from `offset` to `spans`, at most `limit` of them
    /// (counting those already in `spans`).
    func split(_ line: UnsafeBufferPointer<UInt8>, from offset: Int, limit: Int, into spans: inout [Span]) -> Outcome {
        let count = line.count
        var at = offset
        while true {
            let rawStart = at
            if trim { at = skipBlanks(line, from: at) }
            if let quote, at < count, line[at] == quote {
                let start = at + 1
                var doubled = false
                at = start
                while true {
                    while at < count && line[at] != quote { at += 1 }
                    guard at < count else { return .unclosedQuote(spans.count + 1) }
                    guard at + 1 < count, line[at + 1] == quote else { break }
                    doubled = true
                    at += 2
                }
                spans.append(Span(start: start, end: at, rawStart: rawStart, doubledQuotes: doubled))
                at += 1
                if trim { at = skipBlanks(line, from: at) }
                if at < count && line[at] != delimiter { return .textAfterQuote(spans.count) }
            } else {
                let start = at
                while at < count && line[at] != delimiter { at += 1 }
                var end = at
                if trim { while end > start && isBlank(line[end - 1]) { end -= 1 } }
                spans.append(Span(start: start, end: end, rawStart: rawStart, doubledQuotes: false))
            }
            guard at < count else { return .ended }
            at += 1  // the delimiter
            if spans.count >= limit { return .more(at) }
        }
    }

    /// A space or a tab that is not the delimiter.
    func isBlank(_ byte: UInt8) -> Bool {
        (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) && byte != delimiter
    }

    func skipBlanks(_ line: UnsafeBufferPointer<UInt8>, from offset: Int) -> Int {
        var at = offset
        while at < line.count && isBlank(line[at]) { at += 1 }
        return at
    }

    /// The text of a value whose doubled quotes each become one.
    func undoubled(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var at = text.startIndex
        while at < text.endIndex {
            let byte = text[at]
            out.append(byte)
            at += byte == quote ? 2 : 1
        }
        return out[...]
    }
}
