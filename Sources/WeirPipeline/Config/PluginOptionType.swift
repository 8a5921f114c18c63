package import WeirValues
package import Yams

/// The type a plugin.yaml declares for one of its options (`type:`). A pipeline's value
/// is checked against it where it is written, and the plugin is sent it as that JSON type
/// (so a plugin never gets `"42"` where it asked for text and reads a number).
public enum PluginOptionType: String, Sendable, CaseIterable {
    /// Text. A plain scalar YAML reads as something else (`42`, `true`, `null`) is refused:
    /// quoting it (`"42"`) makes it text.
    case string
    /// A 64-bit integer.
    case integer
    /// An integer or a finite floating-point number.
    case number
    /// `true` or `false`.
    case boolean
    /// A sequence of values of any type; a single value is a list of one (as `inputs: raw`).
    case list
    /// A mapping of names to values of any type.
    case object

    /// The type a plugin.yaml names; `bool` is the older name of `boolean`.
    package static func named(_ text: String) -> PluginOptionType? {
        text == "bool" ? .boolean : PluginOptionType(rawValue: text)
    }

    /// The names a plugin.yaml may use, for its error messages.
    package static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

extension Checker {
    /// The value of `node` as `type`, or nil with the problem reported at the node.
    /// `what` names the value in the message ("field of 'masked'").
    package mutating func value(_ node: Node, as type: PluginOptionType, _ what: String) -> Value? {
        // A scalar that is empty, `~` or `null` is no value, whatever the type.
        if let scalar = node.scalar, scalar.style == .plain, ["", "~", "null"].contains(scalar.string) {
            report(node, "\(what) must be \(Self.article(type)), not empty")
            return nil
        }
        switch type {
        case .string:
            // The type YAML gives a plain scalar (before `${VAR}` is substituted).
            if let scalar = node.scalar, scalar.style == .plain, let typed = value(node, what), typed.typeName != "string" {
                report(
                    node,
                    "\(what) must be a string, not the \(typed.typeName == "bool" ? "boolean" : typed.typeName) \(scalar.string) (quote it to mean text: \"\(scalar.string)\")"
                )
                return nil
            }
            return string(node, what).map(Value.string)
        case .integer:
            return integer(node, what, Int64.min...Int64.max).map(Value.int)
        case .number:
            guard let text = string(node, what) else { return nil }
            let plain = text.filter { $0 != "_" }
            if let integer = Int64(plain) { return .int(integer) }
            guard let number = Double(plain), number.isFinite, plain.allSatisfy({ "0123456789+-.eE".contains($0) }) else {
                report(node, "\(what) must be a number, not '\(text)'")
                return nil
            }
            return .double(number)
        case .boolean:
            return bool(node, what).map(Value.bool)
        case .list:
            if node.mapping != nil {
                report(node, "\(what) must be a list, not a mapping")
                return nil
            }
            guard let items = value(node, what) else { return nil }
            if case .array = items { return items }
            return .array([items])
        case .object:
            guard node.mapping != nil else {
                report(node, "\(what) must be a mapping, not \(node.sequence != nil ? "a list" : "a single value")")
                return nil
            }
            return value(node, what)
        }
    }

    private static func article(_ type: PluginOptionType) -> String {
        switch type {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        case .list: "a list"
        case .object: "a mapping"
        }
    }
}
