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

    /// A JSON string of valid UTF-8 bytes.
    public static func writeJSONString(utf8 bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
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
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        out.append(UInt8(ascii: "\""))
    }
}
