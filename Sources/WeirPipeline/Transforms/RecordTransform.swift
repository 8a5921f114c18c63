import WeirValues

/// A transform over batches of records: records in, records out on named outputs
/// ("" is the default output; `route` adds one per case), and the records it could not
/// handle with the reason, which the runner sends where the component's `on_error` says.
///
/// `process` may be called by several members at once (`parallelism`), each with its own
/// batch; `close` is called once when the run ends.
public protocol RecordTransform: Sendable {
    /// The batch is the transform's own: it may change its records in place.
    func process(_ batch: consuming [PipelineRecord]) -> TransformResult
    func close()
    /// Whether each record's output depends on that record alone, never on the others of
    /// its batch nor on the calls before (a parser, a filter; not `sample`, a plugin or a
    /// stateful transform): then the runner may process a large batch in two halves at
    /// once (`BatchSplitter`) and join their outputs in order. False unless said.
    var processesRecordsIndependently: Bool { get }
}

extension RecordTransform {
    public func close() {}
    public var processesRecordsIndependently: Bool { false }
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

    public mutating func emit(_ record: PipelineRecord, to output: String = "") { outputs[output, default: []].append(record) }
    public mutating func fail(_ record: PipelineRecord, _ reason: String) { failures.append(Failure(record: record, reason: reason)) }
}
