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
    /// A nested mapping checked by the component itself (`multiline`).
    case mapping
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
        case .mapping: "mapping"
        }
    }
}

public struct OptionSpec: Sendable {
    public var name: String
    public var kind: OptionKind
    public var required: Bool

    public init(_ name: String, _ kind: OptionKind, required: Bool = false) {
        self.name = name
        self.kind = kind
        self.required = required
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

    public init(type: String, kind: ComponentKind, summary: String, options: [OptionSpec], origin: String? = nil) {
        self.type = type
        self.kind = kind
        self.summary = summary
        self.options = options
        self.origin = origin
    }
}

/// The component types Weir knows, keyed by `type:`. Built-ins are listed here; plugins
/// (issue 4) will register through the same table.
public struct ComponentCatalog: Sendable {
    /// By kind, then by `type:` (a source and a sink may share a name, like `file`).
    public private(set) var specs: [ComponentKind: [String: ComponentSpec]] = [:]

    public init(_ specs: [ComponentSpec] = []) {
        for spec in specs { register(spec) }
    }

    public mutating func register(_ spec: ComponentSpec) { specs[spec.kind, default: [:]][spec.type] = spec }

    public func spec(_ kind: ComponentKind, _ type: String) -> ComponentSpec? { specs[kind]?[type] }

    public func types(of kind: ComponentKind) -> [String] {
        (specs[kind] ?? [:]).keys.sorted()
    }

    /// Options every component of a kind takes, besides its own.
    static func commonOptions(_ kind: ComponentKind) -> [OptionSpec] {
        switch kind {
        case .source:
            return [OptionSpec("type", .string, required: true), OptionSpec("topic", .string, required: true)]
        case .transform:
            // No `group`: the topics upstream of a sink are read by that sink's group (its
            // commits cover the transforms between), so a transform has none of its own.
            return [
                OptionSpec("type", .string, required: true), OptionSpec("inputs", .stringList, required: true),
                OptionSpec("parallelism", .integer(1...1024)), OptionSpec("on_error", .oneOf(["dlq", "drop", "fail"])),
            ]
        case .sink:
            return [
                OptionSpec("type", .string, required: true), OptionSpec("inputs", .stringList, required: true),
                OptionSpec("group", .string), OptionSpec("parallelism", .integer(1...1024)),
                OptionSpec("on_error", .oneOf(["dlq", "drop", "fail"])), OptionSpec("max_lag", .integer(1...Int64.max)),
            ]
        }
    }

    public static let builtIn = ComponentCatalog([
        ComponentSpec(type: "file", kind: .source, summary: "reads files matching globs once, remembering where it stopped", options: [
            OptionSpec("paths", .stringList, required: true), OptionSpec("multiline", .mapping),
            OptionSpec("max_line_bytes", .integer(1...(1 << 30))), OptionSpec("oversize", .oneOf(["truncate", "dlq"])),
        ]),
        ComponentSpec(type: "stdin", kind: .source, summary: "reads standard input until its end", options: []),
        ComponentSpec(type: "tail", kind: .source, summary: "follows files matching globs through rotation", options: [
            OptionSpec("paths", .stringList, required: true), OptionSpec("read_from", .oneOf(["beginning", "end"])),
            OptionSpec("scan_interval_ms", .integer(10...3_600_000)), OptionSpec("partial_line_timeout_ms", .integer(0...3_600_000)),
            OptionSpec("multiline", .mapping), OptionSpec("max_line_bytes", .integer(1...(1 << 30))),
            OptionSpec("oversize", .oneOf(["truncate", "dlq"])),
        ]),
        ComponentSpec(type: "generate", kind: .source, summary: "synthetic lines at a given count and rate", options: [
            OptionSpec("count", .integer(0...Int64.max)), OptionSpec("rate", .integer(1...Int64.max)),
            OptionSpec("lines", .stringList),
        ]),
        ComponentSpec(type: "filter", kind: .transform, summary: "keeps records for which a condition holds", options: [
            OptionSpec("condition", .expression, required: true),
        ]),
        ComponentSpec(type: "parse_regex", kind: .transform, summary: "named captures of a regex become fields", options: [
            OptionSpec("pattern", .regex, required: true), OptionSpec("field", .string),
        ]),
        ComponentSpec(type: "parse_json", kind: .transform, summary: "a JSON object in a field becomes fields", options: [OptionSpec("field", .string)]),
        ComponentSpec(type: "parse_logfmt", kind: .transform, summary: "key=value pairs become fields", options: [OptionSpec("field", .string)]),
        ComponentSpec(type: "set", kind: .transform, summary: "sets fields to computed values", options: [OptionSpec("fields", .expressionMap, required: true)]),
        ComponentSpec(type: "rename", kind: .transform, summary: "renames fields", options: [OptionSpec("fields", .stringMap, required: true)]),
        ComponentSpec(type: "remove", kind: .transform, summary: "removes fields", options: [OptionSpec("fields", .stringList, required: true)]),
        ComponentSpec(type: "timestamp", kind: .transform, summary: "parses a field into the record timestamp", options: [
            OptionSpec("field", .string, required: true), OptionSpec("format", .string, required: true),
        ]),
        ComponentSpec(type: "route", kind: .transform, summary: "sends records to <id>.<case> outputs by condition", options: [
            OptionSpec("routes", .expressionMap, required: true),
        ]),
        ComponentSpec(type: "sample", kind: .transform, summary: "keeps one record in N", options: [OptionSpec("rate", .integer(1...Int64.max), required: true)]),
        ComponentSpec(type: "file", kind: .sink, summary: "writes records to files, exactly once", options: [
            OptionSpec("path", .string, required: true), OptionSpec("encoding", .oneOf(["json", "text"])),
            OptionSpec("max_bytes", .integer(1...Int64.max)),
        ]),
        ComponentSpec(type: "stdout", kind: .sink, summary: "prints records", options: [OptionSpec("encoding", .oneOf(["json", "text"]))]),
        ComponentSpec(type: "topic", kind: .sink, summary: "appends records to another topic", options: [
            OptionSpec("topic", .string, required: true), OptionSpec("key", .expression),
            OptionSpec("encoding", .oneOf(["json", "text"])),
        ]),
        ComponentSpec(type: "http", kind: .sink, summary: "POSTs batches of JSON to a URL", options: [
            OptionSpec("url", .string, required: true), OptionSpec("batch_size", .integer(1...100_000)),
            OptionSpec("timeout_ms", .integer(1...3_600_000)), OptionSpec("max_retries", .integer(0...1000)),
        ]),
        ComponentSpec(type: "blackhole", kind: .sink, summary: "counts records and drops them", options: []),
    ])
}
