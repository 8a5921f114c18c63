import WeirValues

/// The type `parse_csv`'s `types` gives a column: its text becomes a value of that type.
enum CSVColumnType: String, Sendable, CaseIterable {
    case string, int, double, bool

    /// The value of `text`, nil when it is not one of this type. An empty value of a
    /// typed column is null: CSV writes a missing number or flag as nothing.
    func value(_ text: ArraySlice<UInt8>) -> Value? {
        switch self {
        case .string: return .string(String(decoding: text, as: UTF8.self))
        case _ where text.isEmpty: return .null
        case .int: return Self.int(text).map(Value.int)
        case .double: return Self.double(text).map(Value.double)
        case .bool: return Self.bool(text).map(Value.bool)
        }
    }

    /// A decimal integer with an optional sign, within Int64.
    static func int(_ text: ArraySlice<UInt8>) -> Int64? {
        var at = text.startIndex
        let negative = text[at] == UInt8(ascii: "-")
        if negative || text[at] == UInt8(ascii: "+") { at += 1 }
        guard at < text.endIndex else { return nil }
        var value: Int64 = 0
        while at < text.endIndex {
            let digit = text[at] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            // Built downwards when negative, so Int64.min fits.
            let (next, carry) =
                negative ? shifted.subtractingReportingOverflow(Int64(digit)) : shifted.addingReportingOverflow(Int64(digit))
            guard !overflow && !carry else { return nil }
            value = next
            at += 1
        }
        return value
    }

    /// A finite decimal number (`12`, `-1.5`, `6.02e23`): no hexadecimal, `nan`, `inf`
    /// or blanks, which `Double(_:)` alone would take.
    static func double(_ text: ArraySlice<UInt8>) -> Double? {
        let allowed = text.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
        }
        guard allowed, let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }

    /// `true` or `false`, in any case.
    static func bool(_ text: ArraySlice<UInt8>) -> Bool? {
        switch String(decoding: text, as: UTF8.self).lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }
}
