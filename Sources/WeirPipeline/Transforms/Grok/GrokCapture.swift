import WeirValues

/// What one `%{SYNTAX:name:type}` of a grok pattern (or a raw `(?<name>…)` group) puts
/// in a record: the field it names and the type its text becomes.
struct GrokCapture: Sendable, Equatable {
    /// A `:int` or `:float` suffix; text that does not convert fails the record.
    enum Conversion: String, Sendable {
        case none, int, float
    }

    /// The field, as a path into nested objects: `[client][ip]` and `client.ip` are both
    /// `["client", "ip"]`, which an expression reads as `.client.ip`.
    var path: [String]
    var conversion: Conversion

    /// The name as messages show it.
    var name: String { path.joined(separator: ".") }

    /// The path a capture's name stands for: `[a][b]` (Logstash's field reference) or
    /// `a.b`, each part non-empty; nil when it is neither.
    static func path(_ name: String) -> [String]? {
        guard name.hasPrefix("[") else {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            return parts.contains(where: \.isEmpty) ? nil : parts
        }
        var parts: [String] = []
        var rest = Substring(name)
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
            let part = rest[rest.index(after: rest.startIndex)..<close]
            guard !part.isEmpty, !part.contains("[") else { return nil }
            parts.append(String(part))
            rest = rest[rest.index(after: close)...]
        }
        return parts
    }
}

extension GrokCapture.Conversion {
    /// The value `text` converts to: an integer (`[+-]?[0-9]+` in Int64's range) or a
    /// finite number in decimal notation; nil when it is not one (or for `.none`).
    func value(_ text: ArraySlice<UInt8>) -> Value? {
        switch self {
        case .none: return nil
        case .int: return Self.integer(text).map(Value.int)
        case .float:
            // Double(_:) also reads "nan", "inf" and hex floats, which no log means as a number.
            let decimal = text.allSatisfy { (0x30...0x39).contains($0) || "+-.eE".utf8.contains($0) }
            guard decimal, let number = Double(String(decoding: text, as: UTF8.self)), number.isFinite else { return nil }
            return .double(number)
        }
    }

    static func integer(_ text: ArraySlice<UInt8>) -> Int64? {
        var digits = text
        let negative = digits.first == UInt8(ascii: "-")
        if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard (0x30...0x39).contains(byte) else { return nil }
            // Accumulated negative, so that Int64.min fits.
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.subtractingReportingOverflow(Int64(byte - 0x30))
            guard !overflowA, !overflowB else { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}
