import Foundation

/// The JSON shape of a consumed record (`weir consume --format json`), fields in this order:
/// `{"topic","partition","offset","timestamp","key","value","headers"}`.
///
/// Keys, values and header values are strings when they are valid UTF-8, otherwise
/// `{"base64": "…"}`; null stays null. Headers are `[{"key": …, "value": …}]` in order.
/// Written directly (not through `JSONEncoder`) to keep the field order stable and the
/// per-record cost low.
public enum RecordJSON {
    /// One line of JSON (no trailing newline).
    public static func encode(topic: String, partition: Int, record view: RecordView) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + (view.value?.count ?? 0) + (view.key?.count ?? 0))
        out += Array(#"{"topic":"#.utf8)
        Array(topic.utf8).withUnsafeBytes { appendString($0, to: &out) }
        out += Array(#","partition":\#(partition),"offset":\#(view.offset),"timestamp":\#(view.timestamp),"key":"#.utf8)
        appendBytes(view.key, to: &out)
        out += Array(#","value":"#.utf8)
        appendBytes(view.value, to: &out)
        out += Array(#","headers":["#.utf8)
        for (i, header) in view.headers.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"key":"#.utf8)
            Array(header.key.utf8).withUnsafeBytes { appendString($0, to: &out) }
            out += Array(#","value":"#.utf8)
            withOptionalBytes(header.value) { appendBytes($0, to: &out) }
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}".utf8)
        return out
    }

    private static func appendBytes(_ bytes: UnsafeRawBufferPointer?, to out: inout [UInt8]) {
        guard let bytes else {
            out += Array("null".utf8)
            return
        }
        if String(validating: bytes, as: UTF8.self) != nil {
            appendString(bytes, to: &out)
        } else {
            out += Array(#"{"base64":""#.utf8)
            out += Array(Data(bytes).base64EncodedString().utf8)
            out += Array("\"}".utf8)
        }
    }

    /// A JSON string literal of valid UTF-8 bytes, escaping quotes, backslashes and controls.
    private static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out += [0x5c, 0x22]
            case UInt8(ascii: "\\"): out += [0x5c, 0x5c]
            case 0x0a: out += [0x5c, UInt8(ascii: "n")]
            case 0x0d: out += [0x5c, UInt8(ascii: "r")]
            case 0x09: out += [0x5c, UInt8(ascii: "t")]
            case 0..<0x20: out += [0x5c, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
