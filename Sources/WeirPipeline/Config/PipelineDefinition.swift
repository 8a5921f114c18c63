public import WeirLog
public import WeirValues

/// A pipeline file, validated: what `weir run` builds its graph from.
public struct PipelineDefinition: Sendable {
    public var name: String
    public var file: String
    /// Topics the pipeline declares (created if missing).
    public var topics: [String: TopicConfig]
    public var components: [ComponentDefinition]
    /// The file's `tests:` cases, which `weir test` runs.
    public var tests: [PipelineTestCase] = []

    public func component(_ id: String) -> ComponentDefinition? { components.first { $0.id == id } }
}

/// One source, transform or sink of a pipeline.
public struct ComponentDefinition: Sendable {
    public var id: String
    public var kind: ComponentKind
    public var type: String
    /// Topics or transforms it reads (transforms and sinks).
    public var inputs: [String]
    /// The topic a source writes.
    public var topic: String?
    /// The consumer group it reads topics in: `group:`, or `<pipeline>.<id>`.
    public var group: String
    public var parallelism: Int
    public var onError: String
    /// Its own options, typed.
    public var options: [String: Value]
    /// Parsed expressions of `expression` and `expressionMap` options, by option (and key).
    public var expressions: [String: WeirValues.Expression]
    public var line: Int
    public var column: Int
    /// Where each option's value is written.
    public var optionPlaces: [String: FilePlace] = [:]
}

/// A line and column of a pipeline file.
public struct FilePlace: Sendable, Equatable {
    public var line: Int
    public var column: Int
}
