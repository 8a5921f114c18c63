import Foundation

/// Parses JSON text (UTF-8 bytes) into a `Value` in one pass over the bytes: the replies
/// of plugins and `parse_json` fields. Strings without escapes are made straight from
/// their bytes; numbers without a fraction or exponent become `.int`.
public struct JSONValueParser {
    public struct Failure: Error, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "\(message) at byte \(offset)" }
    }

    // Internal, not private: `JSONMembersReader` scans the common members itself and
    // hands the rest (escapes, fractions, nesting) to these methods.
    let bytes: UnsafeRawBufferPointer
    var at = 0
    /// Objects and arrays nested deeper than this are refused, not a stack overflow.
    private static let maxDepth = 512

    /// The value the whole of `bytes` holds (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Value {
        var parser = JSONValueParser(bytes: bytes)
        // A UTF-8 byte order mark (files written on Windows) is not part of the text.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { parser.at = 3 }
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.at == bytes.count else { throw parser.failure("unexpected text after the value") }
        return value
    }

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> Value {
        try bytes.withUnsafeBytes { raw in Result { () throws(Failure) -> Value in try parse(raw) } }.get()
    }

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func failure(_ message: String) -> Failure { Failure(offset: at, message: message) }

    mutating func skipSpace() {
        while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0a || bytes[at] == 0x0d || bytes[at] == 0x09 { at += 1 }
    }

    private mutating func literal(_ word: StaticString, _ value: Value) throws(Failure) -> Value {
        let count = word.utf8CodeUnitCount
        guard at + count <= bytes.count, memcmp(bytes.baseAddress! + at, word.utf8Start, count) == 0 else {
            throw failure("not a JSON value")
        }
        at += count
        return value
    }

    mutating func value(depth: Int) throws(Failure) -> Value {
        skipSpace()
        guard at < bytes.count else { throw failure("the text ends where a value should be") }
        switch bytes[at] {
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw failure("nested too deeply") }
            at += 1
            var members = Fields()
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "}") {
                at += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw failure("an object key must be a string") }
                let key = try string()
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw failure("':' expected after an object key") }
                at += 1
                members[key] = try value(depth: depth + 1)
                skipSpace()
                guard at < bytes.count else { throw failure("the text ends inside an object") }
                if bytes[at] == UInt8(ascii: ",") {
                    at += 1
                } else if bytes[at] == UInt8(ascii: "}") {
                    at += 1
                    return .object(members)
                } else {
                    throw failure("',' or '}' expected in an object")
                }
            }
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw failure("nested too deeply") }
            at += 1
            var items: [Value] = []
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "]") {
                at += 1
                return .array(items)
            }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard at < bytes.count else { throw failure("the text ends inside an array") }
                if bytes[at] == UInt8(ascii: ",") {
                    at += 1
                } else if bytes[at] == UInt8(ascii: "]") {
                    at += 1
                    return .array(items)
                } else {
                    throw failure("',' or ']' expected in an array")
                }
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return try number()
        }
    }

    /// A number as JSON writes it: `-`? (`0` | [1-9][0-9]*) (`.` [0-9]+)? ([eE] [+-]? [0-9]+)?.
    /// Integers that fit in 64 bits are `.int`; the rest `.double`, unless that is infinite.
    private mutating func number() throws(Failure) -> Value {
        let start = at
        func digits(_ parser: inout JSONValueParser) -> Int {
            let from = parser.at
            while parser.at < parser.bytes.count, parser.bytes[parser.at] >= 0x30, parser.bytes[parser.at] <= 0x39 { parser.at += 1 }
            return parser.at - from
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        let integerStart = at
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw Failure(offset: start, message: "not a JSON value") }
        guard integerDigits == 1 || bytes[integerStart] != 0x30 else {
            throw Failure(offset: start, message: "a number with a leading zero")
        }
        var integral = true
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            integral = false
            guard digits(&self) > 0 else { throw Failure(offset: start, message: "a number with no digits after its point") }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            integral = false
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits(&self) > 0 else { throw Failure(offset: start, message: "a number with no digits in its exponent") }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        if integral, let n = Int64(text) { return .int(n) }
        guard let d = Double(text), d.isFinite else { throw Failure(offset: start, message: "'\(text)' is out of range") }
        return .double(d)
    }

    /// A string starting at the opening quote.
    mutating func string() throws(Failure) -> String {
        at += 1
        let start = at
        // Fast path: no escapes, so the bytes are the string.
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                defer { at += 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw failure("a control character inside a string") }
            at += 1
        }
        var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<at]))
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { break }
                let escaped = bytes[at]
                at += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        // A surrogate pair: the low half must follow as \uDCxx.
                        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                            throw failure("a lone surrogate in a string")
                        }
                        at += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw failure("a lone surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let character = Unicode.Scalar(scalar) else { throw failure("a lone surrogate in a string") }
                    out.append(contentsOf: String(Character(character)).utf8)
                default: throw failure("a bad escape in a string")
                }
            default:
                if byte < 0x20 { throw failure("a control character inside a string") }
                out.append(byte)
            }
        }
        throw failure("the text ends inside a string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard at + 4 <= bytes.count else { throw failure("a short \\u escape") }
        var scalar: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw failure("a bad \\u escape")
            }
            scalar = scalar << 4 | digit
            at += 1
        }
        return scalar
    }
}
