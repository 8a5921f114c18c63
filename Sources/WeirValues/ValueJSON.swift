import Foundation

extension Value {
    /// Compact JSON text, object members in their order.
    public func jsonText() -> String {
        var out: [UInt8] = []
        writeJSON(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends compact JSON as UTF-8 bytes: string contents are copied in runs between
    /// the bytes that need escaping, not scalar by scalar.
    public func writeJSON(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
        case .string(let text): Self.writeJSONString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.writeJSON(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields): Self.writeJSONObject(fields, extra: nil, into: &out)
        }
    }

    /// An object, its members in their order; `extra` is written first (a record's
    /// `_timestamp`), unless the fields have a member of that name.
    public static func writeJSONObject(_ fields: Fields, extra: (key: String, value: Value)?, into out: inout [UInt8]) {
        var scratch = JSONObjectScratch()
        writeJSONObject(fields, extra: extra, scratch: &scratch, into: &out)
    }

    /// `writeJSONObject(_:extra:into:)` for a writer of many objects, which keeps the
    /// member names' text and room to write in, in `scratch`, from one object to the next.
    public static func writeJSONObject(
        _ fields: Fields, extra: (key: String, value: Value)?, scratch: inout JSONObjectScratch, into out: inout [UInt8]
    ) {
        if !FlatJSONObject.write(fields, extra: extra, scratch: &scratch, into: &out) {
            writeJSONObjectPiecewise(fields, extra: extra, into: &out)
        }
    }

    /// `writeJSONObject` piece by piece, for any object (and to check the flat path against).
    static func writeJSONObjectPiecewise(_ fields: Fields, extra: (key: String, value: Value)?, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        if let extra, fields.index(forKey: extra.key) == nil {
            writeJSONString(extra.key, into: &out)
            out.append(UInt8(ascii: ":"))
            extra.value.writeJSON(into: &out)
            first = false
        }
        for entry in fields.entries {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writeJSONString(entry.name, into: &out)
            out.append(UInt8(ascii: ":"))
            switch entry.slot {
            case .text(let bytes) where Fields.isASCII(bytes):
                bytes.withUnsafeBufferPointer { writeJSONString(utf8: $0, into: &out) }
            case let slot: slot.value.writeJSON(into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    public static func writeJSONString(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { writeJSONString(utf8: $0, into: &out) }
    }

    /// A JSON string of valid UTF-8 bytes: the runs between bytes that need escaping are
    /// copied whole, found eight bytes at a time.
    public static func writeJSONString(utf8 bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        var at = 0
        while let i = nextEscape(in: bytes, from: at) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
            default:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xf)]])
            }
            runStart = i + 1
            at = i + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        out.append(UInt8(ascii: "\""))
    }

    /// The index of the first byte from `start` that JSON escapes (a control byte, `"` or
    /// `\`), testing eight bytes per step until a word holds one.
    @inline(__always)
    static func nextEscape(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var at = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while at + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                // A byte below 0x20, or equal to '"' or '\\' (a zero byte after the xor).
                let found =
                    ((word &- ones &* 0x20) & ~word | (quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & highs
                // The lowest byte flagged is exact (a borrow only reaches bytes above a
                // flagged one), and little-endian puts the first byte lowest.
                if found != 0 { return at + found.trailingZeroBitCount >> 3 }
                at += 8
            }
        }
        while at < bytes.count {
            let byte = bytes[at]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return at }
            at += 1
        }
        return nil
    }
}
