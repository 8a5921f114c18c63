import Foundation
import WeirValues

/// A column of the sink's table, as the catalog describes it when the sink starts.
struct PostgresColumn: Sendable {
    let name: String
    /// `format_type` without the modifier (`character varying`, not `character varying(20)`):
    /// each parameter is cast to it, and the column's own length or precision is then checked
    /// on assignment (an explicit cast to `varchar(20)` would cut the text instead).
    let type: String
    /// `pg_type.typname`: `int4`, `jsonb`, `timestamptz`, …
    let typeName: String
    /// `pg_type.typcategory`: `N` numeric, `B` boolean, `S` string, `D` date/time, `A` array, …
    let category: Character
    /// False for a generated column or a `GENERATED ALWAYS` identity: only its default goes in.
    let takesValues: Bool

    var quotedName: String { Self.quote(name) }

    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    var isJSON: Bool { typeName == "json" || typeName == "jsonb" }
    var isTime: Bool { typeName == "timestamp" || typeName == "timestamptz" || typeName == "date" }

    /// Why a value of this kind can never go into the column (the row goes to the
    /// dead-letter topic), or nil. Only kinds that make no sense are refused here; text is
    /// left for the server to parse, and its refusal is dead-lettered with its message.
    func refusal(of value: Value) -> String? {
        switch value {
        case .null, .string: return nil
        case .int, .double: return category == "B" ? "column \(name) (\(type)) cannot take a value of type \(value.typeName)" : nil
        case .bool: return category == "N" || category == "D" ? "column \(name) (\(type)) cannot take a value of type bool" : nil
        case .array, .object:
            return isJSON || category == "S" ? nil : "column \(name) (\(type)) cannot take a value of type \(value.typeName)"
        }
    }

    /// The value as the text the column's type parses: JSON for json/jsonb columns (a
    /// string becomes a JSON string) and for arrays and objects, integers as Unix
    /// milliseconds for timestamp and date columns. Nil for null.
    func text(of value: Value) -> String? {
        if isJSON { return value == .null ? nil : value.jsonText() }
        switch value {
        case .null: return nil
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return isTime ? Self.iso8601(millis: number) : String(number)
        case .double(let number):
            if number.isNaN { return "NaN" }
            if number.isInfinite { return number > 0 ? "Infinity" : "-Infinity" }
            return "\(number)"
        case .array, .object: return value.jsonText()
        }
    }

    /// Unix milliseconds as an ISO 8601 UTC time with milliseconds.
    static func iso8601(millis: Int64) -> String {
        let (seconds, remainder) = millis.quotientAndRemainder(dividingBy: 1000)
        var whole = time_t(remainder < 0 ? seconds - 1 : seconds)
        let fraction = remainder < 0 ? remainder + 1000 : remainder
        var parts = tm()
        gmtime_r(&whole, &parts)
        let year = Int(parts.tm_year) + 1900
        if (0...9999).contains(year) {
            // Digits written by hand: `String(format:)` cost more than the rest of a row.
            let fields = [
                (year, 4, UInt8(ascii: "-")), (Int(parts.tm_mon) + 1, 2, UInt8(ascii: "-")),
                (Int(parts.tm_mday), 2, UInt8(ascii: "T")), (Int(parts.tm_hour), 2, UInt8(ascii: ":")),
                (Int(parts.tm_min), 2, UInt8(ascii: ":")), (Int(parts.tm_sec), 2, UInt8(ascii: ".")),
                (Int(fraction), 3, UInt8(ascii: "Z")),
            ]
            return String(unsafeUninitializedCapacity: 24) { text in
                var at = 0
                for (value, digits, after) in fields {
                    var rest = value
                    for position in stride(from: at + digits - 1, through: at, by: -1) {
                        text[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                        rest /= 10
                    }
                    text[at + digits] = after
                    at += digits + 1
                }
                return at
            }
        }
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(fraction))
    }
}
