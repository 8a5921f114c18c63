/// The JSON of an object whose members are all flat (ASCII text still in the bytes it was
/// read with, strings, integers, booleans, null), as a record parsed from a log line is:
/// its exact length is worked out first, so the text is written through a pointer into
/// room made once, with one copy into the output, instead of an array append per piece.
///
/// Produces exactly the bytes `Value.writeJSONObject`'s general path does; objects with
/// anything else (non-ASCII text, doubles, arrays, nested objects) take that path.
enum FlatJSONObject {
    /// Appends the object to `out` and returns true, or returns false (writing nothing)
    /// when a member is not flat.
    static func write(_ fields: Fields, extra: (key: String, value: Value)?, into out: inout [UInt8]) -> Bool {
        let leading = extra.flatMap { fields.index(forKey: $0.key) == nil ? $0 : nil }
        // What escaping adds to each name and string value (the leading member's first):
        // a string that needs none is copied whole, not scanned again.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * fields.entries.count + 2) { growth in
            guard let size = length(fields, leading, growth: growth) else { return false }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { buffer in
                guard let base = buffer.baseAddress else { return }
                var cursor = Cursor(base)
                cursor.put(UInt8(ascii: "{"))
                if let leading {
                    cursor.name(leading.key, growth: growth[0])
                    cursor.value(leading.value, growth: growth[1])
                }
                for (i, entry) in fields.entries.enumerated() {
                    if i > 0 || leading != nil { cursor.put(UInt8(ascii: ",")) }
                    cursor.name(entry.name, growth: growth[2 + 2 * i])
                    switch entry.slot {
                    case .text(let bytes): bytes.withUnsafeBufferPointer { cursor.string($0, growth: growth[3 + 2 * i]) }
                    case .value(let value): cursor.value(value, growth: growth[3 + 2 * i])
                    }
                }
                cursor.put(UInt8(ascii: "}"))
                out.append(contentsOf: UnsafeBufferPointer(start: base, count: cursor.at - base))
            }
            return true
        }
    }

    /// The object's length in bytes, or nil when a member is not flat; fills `growth`.
    private static func length(
        _ fields: Fields, _ leading: (key: String, value: Value)?, growth: UnsafeMutableBufferPointer<Int>
    ) -> Int? {
        // The braces, and a comma before each member but the first.
        var total = 2 + max(0, fields.entries.count + (leading == nil ? 0 : 1) - 1)
        if let leading {
            guard let name = stringGrowth(leading.key), let value = valueLength(leading.value) else { return nil }
            growth[0] = name.growth
            growth[1] = value.growth
            total += name.length + 1 + value.length
        }
        for (i, entry) in fields.entries.enumerated() {
            guard let name = stringGrowth(entry.name) else { return nil }
            growth[2 + 2 * i] = name.growth
            total += name.length + 1
            switch entry.slot {
            case .text(let bytes):
                guard let added = bytes.withUnsafeBufferPointer(asciiEscapeGrowth) else { return nil }
                growth[3 + 2 * i] = added
                total += bytes.count + 2 + added
            case .value(let value):
                guard let value = valueLength(value) else { return nil }
                growth[3 + 2 * i] = value.growth
                total += value.length
            }
        }
        return total
    }

    /// A flat value's length in JSON, and what escaping adds to it (for a string).
    private static func valueLength(_ value: Value) -> (length: Int, growth: Int)? {
        switch value {
        case .null: (4, 0)
        case .bool(let flag): (flag ? 4 : 5, 0)
        case .int(let number): (digits(number), 0)
        case .string(let text): stringGrowth(text)
        case .double, .array, .object: nil
        }
    }

    /// A JSON string's length for ASCII text, quotes included, and what escaping adds to
    /// it; nil for any other text.
    private static func stringGrowth(_ text: String) -> (length: Int, growth: Int)? {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            asciiEscapeGrowth(bytes).map { (bytes.count + 2 + $0, $0) }
        } ?? nil
    }

    /// The length of an integer in decimal, its sign included.
    private static func digits(_ number: Int64) -> Int {
        (number < 0 ? 1 : 0) + digitCount(number.magnitude)
    }

    static func digitCount(_ magnitude: UInt64) -> Int {
        var magnitude = magnitude
        var count = 1
        while magnitude >= 10 {
            magnitude /= 10
            count += 1
        }
        return count
    }

    static let hex = Array("0123456789abcdef".utf8)

    /// For ASCII bytes, how many bytes escaping them for JSON adds (one for `"`, `\`, and
    /// the control bytes with a short escape, five for the other control bytes); nil when
    /// a byte is not ASCII. Eight bytes are tested per step until a word holds one of them.
    static func asciiEscapeGrowth(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var growth = 0
        var at = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while at + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                if word & highs != 0 { return nil }
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let found = ((word &- ones &* 0x20) & ~word | (quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & highs
                if found != 0 {
                    for i in at..<at + 8 { growth += escapeGrowth(bytes[i]) }
                }
                at += 8
            }
        }
        while at < bytes.count {
            let byte = bytes[at]
            if byte >= 0x80 { return nil }
            growth += escapeGrowth(byte)
            at += 1
        }
        return growth
    }

    @inline(__always)
    private static func escapeGrowth(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): 1
        case ..<0x20: 5
        default: 0
        }
    }

    /// Where the next byte goes, in room `length` made sure of.
    private struct Cursor {
        var at: UnsafeMutablePointer<UInt8>

        init(_ start: UnsafeMutablePointer<UInt8>) { at = start }

        @inline(__always)
        mutating func put(_ byte: UInt8) {
            at.initialize(to: byte)
            at += 1
        }

        @inline(__always)
        mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let source = bytes.baseAddress else { return }
            at.initialize(from: source, count: bytes.count)
            at += bytes.count
        }

        /// The name as a JSON string, and a colon.
        mutating func name(_ name: String, growth: Int) {
            _ = name.utf8.withContiguousStorageIfAvailable { string($0, growth: growth) }
            put(UInt8(ascii: ":"))
        }

        mutating func value(_ value: Value, growth: Int) {
            switch value {
            case .null:
                put(UInt8(ascii: "n"))
                put(UInt8(ascii: "u"))
                put(UInt8(ascii: "l"))
                put(UInt8(ascii: "l"))
            case .bool(true):
                put(UInt8(ascii: "t"))
                put(UInt8(ascii: "r"))
                put(UInt8(ascii: "u"))
                put(UInt8(ascii: "e"))
            case .bool(false):
                put(UInt8(ascii: "f"))
                put(UInt8(ascii: "a"))
                put(UInt8(ascii: "l"))
                put(UInt8(ascii: "s"))
                put(UInt8(ascii: "e"))
            case .int(let number): integer(number)
            case .string(let text): _ = text.utf8.withContiguousStorageIfAvailable { string($0, growth: growth) }
            case .double, .array, .object: break  // not flat: `length` refused the object
            }
        }

        mutating func integer(_ number: Int64) {
            if number < 0 { put(UInt8(ascii: "-")) }
            var magnitude = number.magnitude
            at += FlatJSONObject.digitCount(magnitude)
            var digit = at
            repeat {
                digit -= 1
                digit.initialize(to: UInt8(ascii: "0") + UInt8(magnitude % 10))
                magnitude /= 10
            } while magnitude > 0
        }

        /// ASCII bytes as a JSON string; `growth` is what escaping adds (0: copied whole).
        /// Runs between the bytes that need escaping are copied whole (`Value.nextEscape`
        /// finds them).
        mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, growth: Int) {
            put(UInt8(ascii: "\""))
            guard growth > 0 else {
                put(bytes)
                return put(UInt8(ascii: "\""))
            }
            var runStart = 0
            while let i = Value.nextEscape(in: bytes, from: runStart) {
                put(UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                let byte = bytes[i]
                put(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(byte)
                case UInt8(ascii: "\n"): put(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): put(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): put(UInt8(ascii: "t"))
                default:
                    put(UInt8(ascii: "u"))
                    put(UInt8(ascii: "0"))
                    put(UInt8(ascii: "0"))
                    put(FlatJSONObject.hex[Int(byte >> 4)])
                    put(FlatJSONObject.hex[Int(byte & 0xf)])
                }
                runStart = i + 1
            }
            put(UnsafeBufferPointer(rebasing: bytes[runStart...]))
            put(UInt8(ascii: "\""))
        }
    }
}
