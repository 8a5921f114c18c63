import Foundation

extension Value {
    /// Compact JSON text, object keys sorted so equal values print the same.
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

    /// An object with its keys sorted; `extra` is one more member (a record's
    /// `_timestamp`), written in its sorted place without copying the fields.
    public static func writeJSONObject(_ fields: [String: Value], extra: (key: String, value: Value)?, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        func member(_ key: String, _ value: Value) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writeJSONString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            value.writeJSON(into: &out)
        }
        var pending = extra
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) where key != extra?.key {
            if let extra = pending, extra.key < key {
                member(extra.key, extra.value)
                pending = nil
            }
            member(key, value)
        }
        if let extra = pending { member(extra.key, extra.value) }
        out.append(UInt8(ascii: "}"))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    public static func writeJSONString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
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
        }
        out.append(UInt8(ascii: "\""))
    }
}
