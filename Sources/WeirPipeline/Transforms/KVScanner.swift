/// Finds `key=value` pairs in a line's UTF-8 bytes for `parse_kv`: pairs are separated by
/// runs of `fieldSplit` bytes; a key runs to the first `valueSplit` (or separator, for a
/// key without a value); a value runs to the next separator, unless it starts with a
/// quote: then it runs to the matching quote (a backslash takes the next byte as it is,
/// the quote included; a quote that is never closed runs to the end) and any text after
/// the closing quote, up to the separator, is appended. The separators, the quotes and
/// the backslash are ASCII, so nothing is ever cut inside a multi-byte sequence.
struct KVScanner: Sendable {
    let fieldSplit: ByteSet
    /// Non-empty; its first byte is not a separator.
    let valueSplit: [UInt8]
    let quotes: ByteSet

    /// One pair, as offsets into the line.
    struct Pair: Sendable {
        var keyStart: Int
        var keyEnd: Int
        /// Where the value starts, after `valueSplit` (inside its opening quote when
        /// quoted); nil for a key without a value.
        var valueStart: Int?
        var valueEnd: Int
        /// The quote of a quoted value.
        var quote: UInt8?
        /// A quoted value's closing quote (or the end of the line, when it has none);
        /// the text from there to `valueEnd` (after the quote) follows it unquoted.
        var quoteEnd: Int
        /// Whether the quoted text holds a backslash.
        var escaped: Bool
    }

    /// The pairs of `line`, appended to `pairs`.
    func scan(_ line: UnsafeBufferPointer<UInt8>, into pairs: inout [Pair]) {
        let count = line.count
        var at = 0
        while true {
            while at < count && fieldSplit.contains(line[at]) { at += 1 }
            guard at < count else { return }
            let keyStart = at
            while at < count && !fieldSplit.contains(line[at]) && !valueSplitStarts(line, at) { at += 1 }
            var pair = Pair(keyStart: keyStart, keyEnd: at, valueStart: nil, valueEnd: at, quote: nil, quoteEnd: at, escaped: false)
            guard at < count && !fieldSplit.contains(line[at]) else {
                pairs.append(pair)
                continue
            }
            at += valueSplit.count
            if at < count && quotes.contains(line[at]) {
                let quote = line[at]
                at += 1
                pair.valueStart = at
                pair.quote = quote
                while at < count && line[at] != quote {
                    if line[at] == UInt8(ascii: "\\") && at + 1 < count {
                        pair.escaped = true
                        at += 2
                    } else {
                        at += 1
                    }
                }
                pair.quoteEnd = min(at, count)
                at = min(at + 1, count)
            } else {
                pair.valueStart = at
            }
            while at < count && !fieldSplit.contains(line[at]) { at += 1 }
            pair.valueEnd = at
            if pair.quote == nil { pair.quoteEnd = at }
            pairs.append(pair)
        }
    }

    func valueSplitStarts(_ line: UnsafeBufferPointer<UInt8>, _ at: Int) -> Bool {
        guard line[at] == valueSplit[0] else { return false }
        guard valueSplit.count > 1 else { return true }
        guard at + valueSplit.count <= line.count else { return false }
        for offset in 1..<valueSplit.count where line[at + offset] != valueSplit[offset] { return false }
        return true
    }

    /// The value of a pair with one: a slice of the line when it is a plain or quoted
    /// text without escapes, else the bytes put together.
    func value(_ line: ArraySlice<UInt8>, _ pair: Pair) -> ArraySlice<UInt8> {
        let base = line.startIndex
        let start = base + (pair.valueStart ?? pair.valueEnd)
        let quoteEnd = base + pair.quoteEnd
        // Text after the closing quote, if any (the quote itself is skipped).
        let after = pair.quote != nil && pair.quoteEnd < pair.valueEnd ? (quoteEnd + 1)..<(base + pair.valueEnd) : quoteEnd..<quoteEnd
        if !pair.escaped && after.isEmpty { return line[start..<quoteEnd] }
        var out: [UInt8] = []
        out.reserveCapacity(pair.valueEnd - (pair.valueStart ?? pair.valueEnd))
        var at = start
        while at < quoteEnd {
            if pair.escaped && line[at] == UInt8(ascii: "\\") && at + 1 < quoteEnd { at += 1 }
            out.append(line[at])
            at += 1
        }
        out.append(contentsOf: line[after])
        return out[...]
    }
}
