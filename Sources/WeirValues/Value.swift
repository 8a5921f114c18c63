/// A field value of a record as pipelines see it: the JSON data model, with integers
/// kept apart from floating-point numbers.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([Value])
    case object(Fields)

    /// The value at a field path (`["a", "b"]` for `.a.b`); `nil` when any step is missing.
    public subscript(path path: [String]) -> Value? {
        var current = self
        for name in path {
            guard case .object(let fields) = current, let next = fields[name] else { return nil }
            current = next
        }
        return current
    }

    /// The name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}
