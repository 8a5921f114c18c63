public import WeirValues

/// A component's options as a factory reads them: typed accessors over what the loader
/// already checked against the spec, and `invalid` for what only the component can judge,
/// which `weir validate` reports at that option's `file:line:column`.
public struct ComponentOptions: Sendable {
    public let component: ComponentDefinition
    /// The pipeline's name.
    public let pipeline: String

    /// Set when the run aborts (for components that wait or retry).
    package let abort: StopFlag?
    /// The log the pipeline runs on, for a transform that reads a topic of its own (a
    /// `lookup` table topic); nil in `weir validate` and `weir test`.
    package let log: (any PipelineLog)?

    public init(_ component: ComponentDefinition, pipeline: String) {
        self.init(component, pipeline: pipeline, abort: nil)
    }

    init(_ component: ComponentDefinition, pipeline: String, abort: StopFlag?, log: (any PipelineLog)? = nil) {
        self.component = component
        self.pipeline = pipeline
        self.abort = abort
        self.log = log
    }

    public var id: String { component.id }
    public var parallelism: Int { component.parallelism }

    public subscript(_ name: String) -> Value? { component.options[name] }

    public func string(_ name: String) -> String? {
        if case .string(let text) = component.options[name] { return text }
        return nil
    }

    public func int(_ name: String) -> Int64? {
        if case .int(let n) = component.options[name] { return n }
        return nil
    }

    public func bool(_ name: String) -> Bool? {
        if case .bool(let flag) = component.options[name] { return flag }
        return nil
    }

    /// A `oneOf` option as the enum whose raw values are its choices; `fallback` when
    /// it is not given.
    public func choice<Choice: RawRepresentable>(_ name: String, default fallback: Choice) -> Choice where Choice.RawValue == String {
        string(name).flatMap(Choice.init(rawValue:)) ?? fallback
    }

    /// A nested mapping (an `object` option), by key; nil when it is not given.
    public func object(_ name: String) -> Fields? {
        if case .object(let values) = component.options[name] { return values }
        return nil
    }

    /// A list of strings; empty when the option is not given.
    public func strings(_ name: String) -> [String] {
        guard case .array(let items) = component.options[name] else { return [] }
        return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    /// The parsed expression of an `expression` option.
    public func expression(_ name: String) -> WeirValues.Expression? { component.expressions[name] }

    /// The parsed expressions of an `expressionMap` option, by key, in key order.
    public func expressions(_ name: String) -> [(String, WeirValues.Expression)] {
        component.expressions.filter { $0.key.hasPrefix(name + ".") }
            .map { (String($0.key.dropFirst(name.count + 1)), $0.value) }
            .sorted { $0.0 < $1.0 }
    }

    /// A `stringMap` option, in key order.
    public func stringPairs(_ name: String) -> [(String, String)] {
        guard case .object(let pairs) = component.options[name] else { return [] }
        return pairs.compactMap { key, value in if case .string(let text) = value { (key, text) } else { nil } }.sorted { $0.0 < $1.0 }
    }

    /// A string option the spec marks required.
    public func required(_ name: String) throws -> String {
        guard let text = string(name) else { throw invalid(name, "is required") }
        return text
    }

    /// An expression option the spec marks required.
    public func requiredExpression(_ name: String) throws -> WeirValues.Expression {
        guard let expression = expression(name) else { throw invalid(name, "is required") }
        return expression
    }

    /// An error about one option, reported where the option is written.
    public func invalid(_ option: String, _ message: String) -> OptionError {
        OptionError(component: component, option: option, message: message)
    }
}

/// A component's option that its factory refuses.
public struct OptionError: Error, CustomStringConvertible {
    public var component: ComponentDefinition
    public var option: String
    public var message: String

    public var description: String { "\(component.kind.rawValue) '\(component.id)': \(option) \(message)" }

    /// Where the option (or, when it is not written, the component) is in the file.
    var place: (line: Int, column: Int) {
        component.optionPlaces[option].map { ($0.line, $0.column) } ?? (component.line, component.column)
    }
}
