/// A transform over batches of records: records in, records out on named outputs
/// ("" is the default output; `route` adds one per case), and the records it could not
/// handle with the reason, which the runner sends where the component's `on_error` says.
public protocol RecordTransform: Sendable {
    func process(_ batch: [PipelineRecord]) -> TransformResult
}

public struct TransformResult: Sendable, Equatable {
    public var outputs: [String: [PipelineRecord]] = [:]
    public var failures: [Failure] = []
    /// The transform cannot work at all (a plugin that never started): the run stops
    /// before the batch is committed.
    public var fatal: String?

    public struct Failure: Sendable, Equatable {
        public var record: PipelineRecord
        public var reason: String
    }

    public init() {}

    /// The default output.
    public var records: [PipelineRecord] { outputs[""] ?? [] }

    mutating func emit(_ record: PipelineRecord, to output: String = "") { outputs[output, default: []].append(record) }
    mutating func fail(_ record: PipelineRecord, _ reason: String) { failures.append(Failure(record: record, reason: reason)) }
}
