import WeirValues

/// Every component type Weir can build, keyed by kind and `type:`: its spec (what
/// `weir validate` checks and `weir plugins` lists) and the factory that makes it.
/// Built-ins register here exactly as Swift plugins and out-of-process plugins do
/// (`BuiltInComponents.swift`, `PluginRegistration.swift`); the runner only asks it.
///
/// A factory gets the component's options, already checked against the spec. It should
/// only read them (no files, no processes): `weir validate` calls the source and transform
/// factories, and an `OptionError` one throws becomes a `file:line:column` diagnostic at
/// that option. Work starts in `run` (sources), `process` (transforms) or the sink's
/// first `write`.
public struct ComponentRegistry: Sendable {
    public typealias SourceFactory = @Sendable (ComponentOptions) throws -> any PipelineSource
    public typealias TransformFactory = @Sendable (ComponentOptions) throws -> any RecordTransform
    public typealias SinkFactory = @Sendable (SinkSetup) throws -> any SinkOutput
    /// Checks options beyond their types, for kinds whose factory does work (sinks).
    public typealias OptionCheck = @Sendable (ComponentOptions) throws -> Void

    enum Factory: Sendable {
        case source(SourceFactory)
        case transform(TransformFactory)
        case sink(SinkFactory, check: OptionCheck?)
    }

    struct Entry: Sendable {
        var spec: ComponentSpec
        var factory: Factory?
    }

    /// By kind, then by `type:` (a source and a sink may share a name, like `file`).
    private var entries: [ComponentKind: [String: Entry]] = [:]

    public init() {}

    public mutating func register(_ spec: ComponentSpec, source: @escaping SourceFactory) {
        precondition(spec.kind == .source, "\(spec.type) is registered as a source but its spec says \(spec.kind)")
        entries[.source, default: [:]][spec.type] = Entry(spec: spec, factory: .source(source))
    }

    public mutating func register(_ spec: ComponentSpec, transform: @escaping TransformFactory) {
        precondition(spec.kind == .transform, "\(spec.type) is registered as a transform but its spec says \(spec.kind)")
        entries[.transform, default: [:]][spec.type] = Entry(spec: spec, factory: .transform(transform))
    }

    public mutating func register(_ spec: ComponentSpec, check: OptionCheck? = nil, sink: @escaping SinkFactory) {
        precondition(spec.kind == .sink, "\(spec.type) is registered as a sink but its spec says \(spec.kind)")
        entries[.sink, default: [:]][spec.type] = Entry(spec: spec, factory: .sink(sink, check: check))
    }

    /// A spec with no factory: validated and listed, refused by `weir run`.
    mutating func register(_ spec: ComponentSpec) { entries[spec.kind, default: [:]][spec.type] = Entry(spec: spec) }

    public func spec(_ kind: ComponentKind, _ type: String) -> ComponentSpec? { entries[kind]?[type]?.spec }

    public func types(of kind: ComponentKind) -> [String] { (entries[kind] ?? [:]).keys.sorted() }

    /// Every spec, by kind and type.
    public var specs: [ComponentSpec] {
        ComponentKind.allCases.flatMap { kind in types(of: kind).compactMap { spec(kind, $0) } }
    }

    public struct NotRegistered: Error, CustomStringConvertible {
        public var description: String
    }

    private func factory(_ component: ComponentDefinition) throws -> Factory {
        guard let factory = entries[component.kind]?[component.type]?.factory else {
            throw NotRegistered(
                description: "\(component.kind.rawValue) type '\(component.type)' of '\(component.id)' cannot run in this build of weir")
        }
        return factory
    }

    public func makeSource(_ options: ComponentOptions) throws -> any PipelineSource {
        guard case .source(let make) = try factory(options.component) else {
            throw NotRegistered(description: "'\(options.id)' is not a source")
        }
        return try make(options)
    }

    public func makeTransform(_ options: ComponentOptions) throws -> any RecordTransform {
        guard case .transform(let make) = try factory(options.component) else {
            throw NotRegistered(description: "'\(options.id)' is not a transform")
        }
        return try make(options)
    }

    public func makeSink(_ setup: SinkSetup) throws -> any SinkOutput {
        guard case .sink(let make, _) = try factory(setup.options.component) else {
            throw NotRegistered(description: "'\(setup.options.id)' is not a sink")
        }
        return try make(setup)
    }

    /// What validation runs beyond option types: the factory of a source or transform
    /// (which only reads its options), a sink's own check.
    func check(_ options: ComponentOptions) throws {
        switch entries[options.component.kind]?[options.component.type]?.factory {
        case .source(let make): _ = try make(options)
        case .transform(let make): _ = try make(options)
        case .sink(_, let check?): try check(options)
        case .sink(_, nil), nil: break
        }
    }

    static let parallelismHelp = "members that share the partitions (for a plugin: a process each)"

    /// Options every component of a kind takes, besides its own.
    public static func commonOptions(_ kind: ComponentKind) -> [OptionSpec] {
        switch kind {
        case .source:
            return [OptionSpec("type", .string, required: true), OptionSpec("topic", .string, required: true)]
        case .transform:
            // No `group`: the topics upstream of a sink are read by that sink's group (its
            // commits cover the transforms between), so a transform has none of its own.
            return [
                OptionSpec("type", .string, required: true), OptionSpec("inputs", .stringList, required: true),
                OptionSpec("parallelism", .integer(1...1024), default: .int(1), description: Self.parallelismHelp),
                OptionSpec("on_error", .oneOf(["dlq", "drop", "fail"])),
            ]
        case .sink:
            return [
                OptionSpec("type", .string, required: true), OptionSpec("inputs", .stringList, required: true),
                OptionSpec("group", .string),
                OptionSpec("parallelism", .integer(1...1024), default: .int(1), description: Self.parallelismHelp),
                OptionSpec("on_error", .oneOf(["dlq", "drop", "fail"])), OptionSpec("max_lag", .integer(1...Int64.max)),
            ]
        }
    }
}
