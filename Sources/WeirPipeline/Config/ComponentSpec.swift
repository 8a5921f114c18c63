public import WeirValues

/// What kind of component a `type:` names.
public enum ComponentKind: String, Sendable, CaseIterable {
    case source, transform, sink

    /// The section of a pipeline file that holds this kind.
    public var section: String { rawValue + "s" }
}

/// The shape of one option of a component, for validation.
public enum OptionKind: Sendable, Equatable {
    case string
    case integer(ClosedRange<Int64>)
    case bool
    case stringList
    case oneOf([String])
    /// An expression of docs/expressions.md.
    case expression
    /// A regular expression.
    case regex
    /// A mapping of names to expressions (`set`, `route`).
    case expressionMap
    /// A mapping of names to strings (`rename`).
    case stringMap
    /// A nested mapping with options of its own (`multiline`), each checked against
    /// the schema as a component's options are, so a component with nested options
    /// needs nothing of the loader but its spec.
    case object(OptionSchema)
    /// An option an out-of-process plugin declares, sent to it as that JSON type.
    case plugin(PluginOptionType)
}

extension OptionKind {
    /// How `weir plugins describe` names it.
    public var name: String {
        switch self {
        case .string: "string"
        case .integer(let range): range == Int64.min...Int64.max ? "integer" : "integer \(range.lowerBound)…\(range.upperBound)"
        case .bool: "bool"
        case .stringList: "list of strings"
        case .oneOf(let values): values.joined(separator: " | ")
        case .expression: "expression"
        case .regex: "regex"
        case .expressionMap: "mapping of names to expressions"
        case .stringMap: "mapping of names to strings"
        case .object: "mapping"
        case .plugin(let type): type.rawValue
        }
    }
}

public struct OptionSpec: Sendable, Equatable {
    public var name: String
    public var kind: OptionKind
    public var required: Bool
    /// What the component gets when a pipeline leaves the option out (shown by
    /// `weir plugins describe`; a plugin is sent it with the options it sets).
    public var defaultValue: Value?
    /// One line for `weir plugins describe`.
    public var description: String?

    public init(_ name: String, _ kind: OptionKind, required: Bool = false, default defaultValue: Value? = nil, description: String? = nil)
    {
        self.name = name
        self.kind = kind
        self.required = required
        self.defaultValue = defaultValue
        self.description = description
    }
}

/// The options a nested mapping (`OptionKind.object`) takes.
public struct OptionSchema: Sendable, Equatable {
    public var options: [OptionSpec]
    /// Options of which the mapping must give at least one (`multiline` needs
    /// `start_pattern` or `continuation_pattern`); empty when it may give none.
    public var requiresOneOf: [String]

    public init(_ options: [OptionSpec], requiresOneOf: [String] = []) {
        self.options = options
        self.requiresOneOf = requiresOneOf
    }
}

/// A component type as a pipeline file may name it, with its options.
public struct ComponentSpec: Sendable {
    public var type: String
    public var kind: ComponentKind
    public var summary: String
    public var options: [OptionSpec]
    /// The plugin.yaml of an out-of-process plugin; nil for a built-in.
    public var origin: String?
    /// A transform whose state is kept per input partition (`StatefulTransform`): it sees
    /// a group's records together only when they share a partition.
    public var keepsStatePerPartition = false

    public init(type: String, kind: ComponentKind, summary: String, options: [OptionSpec], origin: String? = nil) {
        self.type = type
        self.kind = kind
        self.summary = summary
        self.options = options
        self.origin = origin
    }
}
