import Foundation

/// Evaluating an expression against a record's fields.
///
/// A missing field is `null`. Comparisons of numbers are numeric (integers and
/// doubles compare with each other), of strings lexicographic; comparing other
/// mixes with `<`-style operators, or applying a string function to a non-string,
/// is an error for that record (which its component's `on_error` then handles).
extension Expression {
    /// The value of the expression for `fields` (a record's `object`).
    public func evaluate(_ fields: Value) throws(ExpressionError) -> Value {
        switch self {
        case .literal(let value):
            return value
        case .path(let path, _):
            return fields[path: path] ?? .null
        case .not(let inner, let column):
            return .bool(!(try inner.truth(fields, column: column)))
        case .and(let left, let right):
            guard try left.truth(fields, column: 0) else { return .bool(false) }
            return .bool(try right.truth(fields, column: 0))
        case .or(let left, let right):
            if try left.truth(fields, column: 0) { return .bool(true) }
            return .bool(try right.truth(fields, column: 0))
        case .compare(let op, let left, let right, let column):
            return .bool(try Self.compare(op, try left.evaluate(fields), try right.evaluate(fields), column: column))
        case .matches(let subject, let regex, let column):
            switch try subject.evaluate(fields) {
            case .null: return .bool(false)
            case .string(let text): return .bool(regex.matches(text))
            case let other: throw ExpressionError(column: column, "matches needs a string, got \(other.typeName)")
            }
        case .call(let function, let arguments, let column):
            let argument = try arguments[0].evaluate(fields)
            return try Self.call(function, argument, path: arguments[0], fields: fields, column: column)
        }
    }

    /// Whether the expression holds for `fields`: it must give a bool (or null: false).
    public func matches(_ fields: Value) throws(ExpressionError) -> Bool {
        try truth(fields, column: 1)
    }

    private func truth(_ fields: Value, column: Int) throws(ExpressionError) -> Bool {
        switch try evaluate(fields) {
        case .bool(let value): return value
        case .null: return false
        case let other: throw ExpressionError(column: max(column, 1), "expected true or false, got \(other.typeName)")
        }
    }

    private static func compare(_ op: ComparisonOperator, _ a: Value, _ b: Value, column: Int) throws(ExpressionError) -> Bool {
        switch op {
        case .equal: return equal(a, b)
        case .notEqual: return !equal(a, b)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order: Int
            if let x = a.number, let y = b.number {
                order = x < y ? -1 : (x > y ? 1 : 0)
            } else if case .string(let x) = a, case .string(let y) = b {
                order = x < y ? -1 : (x > y ? 1 : 0)
            } else if a == .null || b == .null {
                return false
            } else {
                throw ExpressionError(column: column, "cannot compare \(a.typeName) with \(b.typeName) using \(op.rawValue)")
            }
            switch op {
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            default: return order >= 0
            }
        case .contains:
            switch (a, b) {
            case (.string(let text), .string(let part)): return Self.bytes(of: text, contain: part)
            case (.array(let items), let item): return items.contains { equal($0, item) }
            case (.null, _): return false
            case (.string, _):
                throw ExpressionError(column: column, "contains needs a string on its right when its left is a string, got \(b.typeName)")
            default: throw ExpressionError(column: column, "contains needs a string or an array on its left, got \(a.typeName)")
            }
        case .startsWith, .endsWith:
            switch (a, b) {
            // Bytes, not Characters: what Vector does, and many times faster.
            case (.string(let text), .string(let part)):
                return op == .startsWith ? text.utf8.starts(with: part.utf8) : text.utf8.reversed().starts(with: part.utf8.reversed())
            case (.null, _): return false
            default: throw ExpressionError(column: column, "\(op.rawValue) needs two strings, got \(a.typeName) and \(b.typeName)")
            }
        }
    }

    /// Whether `part`'s UTF-8 bytes occur in `text`'s.
    static func bytes(of text: String, contain part: String) -> Bool {
        var text = text
        var part = part
        return text.withUTF8 { haystack in part.withUTF8 { needle in contains(haystack, needle) } }
    }

    private static func equal(_ a: Value, _ b: Value) -> Bool {
        if let x = a.number, let y = b.number { return x == y }
        return a == b
    }

    private static func call(_ function: Function, _ value: Value, path: Expression, fields: Value, column: Int) throws(ExpressionError)
        -> Value
    {
        switch function {
        case .exists:
            guard case .path(let names, _) = path else { return .bool(false) }
            return .bool(fields[path: names] != nil)
        case .lower, .upper:
            switch value {
            case .string(let text): return .string(function == .lower ? text.lowercased() : text.uppercased())
            case .null: return .null
            default: throw ExpressionError(column: column, "\(function.rawValue) needs a string, got \(value.typeName)")
            }
        case .toInt:
            switch value {
            case .int: return value
            case .double(let number) where number.isFinite && abs(number) < 9.2e18: return .int(Int64(number))
            case .string(let text):
                if let number = Int64(text.trimmingCharacters(in: .whitespaces)) { return .int(number) }
                throw ExpressionError(column: column, "to_int cannot read '\(text)' as an integer")
            case .bool(let flag): return .int(flag ? 1 : 0)
            case .null: return .null
            default: throw ExpressionError(column: column, "to_int cannot convert \(value.typeName)")
            }
        case .toString:
            switch value {
            case .string: return value
            case .int(let number): return .string(String(number))
            case .double(let number): return .string(String(number))
            case .bool(let flag): return .string(flag ? "true" : "false")
            case .null: return .null
            default: throw ExpressionError(column: column, "to_string cannot convert \(value.typeName)")
            }
        case .length:
            switch value {
            case .string(let text): return .int(Int64(text.count))
            case .array(let items): return .int(Int64(items.count))
            case .object(let fields): return .int(Int64(fields.count))
            case .null: return .null
            default: throw ExpressionError(column: column, "length needs a string, array or object, got \(value.typeName)")
            }
        }
    }
}
