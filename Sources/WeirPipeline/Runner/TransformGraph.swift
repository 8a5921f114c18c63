import Foundation
import WeirLog
import WeirValues

/// The transforms upstream of some outputs (a sink's inputs, or what a test checks),
/// evaluated per batch: a batch read from a topic (or put into a transform by a test)
/// flows through every transform downstream of it.
struct TransformGraph {
    let definition: PipelineDefinition
    /// The outputs (topics, transforms, `<route>.<case>`) whose records are wanted.
    let wanted: [String]
    let transforms: [String: any RecordTransform]
    /// Which transform offers each output (the loader's one definition of outputs).
    let producerOf: [String: String]
    /// The topics read, directly or through transforms.
    let topics: [String]
    /// Each transform's counters and tap, by id (none in `weir test`).
    let stats: [String: ComponentStats]
    var transformIDs: [String] { transforms.keys.sorted() }
    /// The transforms that keep state per input partition, by id.
    let stateful: [String: any StatefulTransform]
    /// Large batches of transforms that handle each record on its own go through it in
    /// two halves at once.
    let splitter = BatchSplitter()
    /// The transforms `runAhead` runs.
    let aheadable: Set<String>
    /// The graph's one transform when it is a `parse_json` reading a topic, whose output
    /// is what is wanted: an output reading JSON itself (`JSONObjectsWriter`) may then
    /// take the values as read instead.
    let onlyJSONParse: (id: String, parser: JSONFieldParser)?

    struct Result {
        var records: [PipelineRecord] = []
        var failures: [Failure] = []
        var fatal: String?
    }

    struct Failure {
        var record: PipelineRecord
        var transform: String
        var reason: String
        var onError: String
    }

    struct Stop: Error, CustomStringConvertible {
        var description: String
    }

    init(
        definition: PipelineDefinition, sink: ComponentDefinition, registry: ComponentRegistry, abort: StopFlag? = nil,
        stats: [String: ComponentStats] = [:], log: (any PipelineLog)? = nil
    ) throws {
        try self.init(definition: definition, wanted: sink.inputs, registry: registry, abort: abort, stats: stats, log: log)
    }

    /// `log` is the pipeline's, for transforms that read a topic of their own (nil: none,
    /// as in `weir test`).
    init(
        definition: PipelineDefinition, wanted: [String], registry: ComponentRegistry, abort: StopFlag? = nil,
        stats: [String: ComponentStats] = [:], log: (any PipelineLog)? = nil
    ) throws {
        self.definition = definition
        self.wanted = wanted
        self.stats = stats
        producerOf = Checker.transformOutputs(definition.components)
        var transforms: [String: any RecordTransform] = [:]
        var topics = Set<String>()
        var pending = wanted
        while let input = pending.popLast() {
            if definition.topics[input] != nil {
                topics.insert(input)
                continue
            }
            guard let id = producerOf[input], transforms[id] == nil, let component = definition.component(id) else { continue }
            transforms[id] = try registry.makeTransform(ComponentOptions(component, pipeline: definition.name, abort: abort, log: log))
            pending += component.inputs
        }
        self.transforms = transforms
        stateful = transforms.compactMapValues { $0 as? any StatefulTransform }
        aheadable = Self.aheadable(transforms, definition, producerOf: producerOf)
        self.topics = topics.sorted()
        onlyJSONParse =
            if wanted.count == 1, transforms.count == 1, let (id, transform) = transforms.first, id == wanted[0],
                let json = transform as? ParseJSONTransform, let inputs = definition.component(id)?.inputs, inputs.count == 1,
                definition.topics[inputs[0]] != nil
            {
                (id, json.parser)
            } else {
                nil
            }
    }

    /// Each stateful transform's state of `partition`, by transform id, for the checkpoint
    /// (nil when there is none).
    func snapshot(_ partition: TopicPartition) -> [String: Data]? {
        guard !stateful.isEmpty else { return nil }
        return stateful.compactMapValues { $0.snapshot(partition).map { Data($0) } }
    }

    /// Gives each stateful transform its state of `partition` from a checkpoint (nil: none).
    func restore(_ partition: TopicPartition, from saved: [String: Data]?) throws {
        for (id, transform) in stateful {
            do { try transform.restore(partition, from: saved?[id].map { Array($0) }) } catch {
                throw Stop(description: "transform '\(id)': its state of \(partition) in the checkpoint cannot be read: \(error)")
            }
        }
    }

    /// What reaches the wanted outputs when every stateful transform emits what it holds
    /// open (`weir test`: the input has ended): each one's output goes through the
    /// transforms downstream of it, in the order they were defined.
    func flushStateful() -> Result {
        var result = Result()
        for component in definition.components where stateful[component.id] != nil {
            let output = stateful[component.id]!.flush()
            for (name, records) in output.outputs {
                let produced = name.isEmpty ? component.id : "\(component.id).\(name)"
                if wanted.contains(produced) { result.records += records }
                for reader in definition.components where transforms[reader.id] != nil && reader.inputs.contains(produced) {
                    let downstream = evaluate(injecting: records, at: reader.id)
                    result.records += downstream.records
                    result.failures += downstream.failures
                    result.fatal = result.fatal ?? downstream.fatal
                }
            }
        }
        return result
    }

    /// Whether a batch read from `topic` reaches the outputs as it is: wanted once, and
    /// read by no transform.
    func passesUnchanged(_ topic: String) -> Bool {
        wanted.lazy.filter { $0 == topic }.count == 1
            && !transforms.keys.contains { definition.component($0)?.inputs.contains(topic) ?? false }
    }

    /// Ends every transform's work (plugins' processes).
    func close() {
        for transform in transforms.values { transform.close() }
        splitter.stop()
    }

    /// What reaches the wanted outputs from `batch`, read from `topic`. A failure in a
    /// transform whose `on_error` is `fail` stops the run (before the batch is committed).
    func process(_ batch: consuming [PipelineRecord], from partition: TopicPartition) throws -> Result {
        try checked(evaluate(injecting: batch, at: partition.topic, partition: partition))
    }

    /// The same for a batch whose first transforms ran ahead (`runAhead`).
    func process(_ ahead: Ahead) throws -> Result {
        try checked(evaluate(ahead))
    }

    private func checked(_ result: Result) throws -> Result {
        if let fatal = result.fatal { throw Stop(description: fatal) }
        if let fatal = result.failures.first(where: { $0.onError == "fail" }) {
            throw Stop(description: "transform '\(fatal.transform)' (on_error: fail): \(fatal.reason)")
        }
        return result
    }

    /// What reaches the wanted outputs when `batch` enters at `point`: read from that
    /// topic, or given to that transform as its input.
    ///
    /// Records move from one transform to the next: the last reader of an output takes
    /// it (an output read twice, by a fan-out, is shared and copied on change), so a
    /// transform changing its batch in place copies nothing.
    /// Stateful transforms keep the state of `partition` (by default, partition 0 of
    /// `point`: `weir test`'s input).
    func evaluate(injecting batch: consuming [PipelineRecord], at point: String, partition: TopicPartition? = nil) -> Result {
        var evaluation = Evaluation(graph: self, point: point, partition: partition, injected: batch)
        return evaluation.wantedResult()
    }

    /// What reaches the wanted outputs from `ahead`: a batch read from `ahead.topic` whose
    /// transforms that keep no state ran already (`runAhead`); the others run now.
    func evaluate(_ ahead: Ahead) -> Result {
        var evaluation = Evaluation(graph: self, point: ahead.topic, partition: ahead.partition, injected: ahead.batch)
        evaluation.made = ahead.made
        evaluation.ran = ahead.ran
        evaluation.result.failures = ahead.failures
        evaluation.result.fatal = ahead.fatal
        return evaluation.wantedResult()
    }

    /// A batch read from a topic, through the transforms that can run before its turn: on
    /// a member's prefetch thread while the member writes the batch before it. Only
    /// transforms that keep no state run (`aheadable`), so an `Ahead` dropped untaken
    /// (a rebalance) changed nothing that a checkpoint holds; their counters and taps saw
    /// it, though, and see its records again when it is read again.
    struct Ahead {
        var topic: String
        var partition: TopicPartition
        /// What the transforms that ran made, not yet taken.
        var made: [String: [PipelineRecord]] = [:]
        var ran: Set<String> = []
        var failures: [Failure] = []
        var fatal: String?
        /// The batch itself when something that did not run reads its topic.
        var batch: [PipelineRecord] = []
    }

    /// `batch`, read from `partition`, through every transform in `aheadable`.
    func runAhead(_ batch: consuming [PipelineRecord], from partition: TopicPartition) -> Ahead {
        var evaluation = Evaluation(graph: self, point: partition.topic, partition: partition, injected: batch)
        for component in definition.components where aheadable.contains(component.id) {
            evaluation.run(component.id)
        }
        return Ahead(
            topic: partition.topic, partition: partition, made: evaluation.made, ran: evaluation.ran,
            failures: evaluation.result.failures, fatal: evaluation.result.fatal, batch: evaluation.injected)
    }

    /// The transforms that keep no state and read only topics and such transforms: what
    /// `runAhead` runs.
    static func aheadable(_ transforms: [String: any RecordTransform], _ definition: PipelineDefinition, producerOf: [String: String])
        -> Set<String>
    {
        var found = Set<String>()
        var grew = true
        while grew {
            grew = false
            for (id, transform) in transforms where !found.contains(id) && !(transform is any StatefulTransform) {
                let inputs = definition.component(id)?.inputs ?? []
                if inputs.allSatisfy({ producerOf[$0].map(found.contains) ?? true }) {
                    found.insert(id)
                    grew = true
                }
            }
        }
        return found
    }

    /// One evaluation of the graph: the outputs made and not yet taken, the transforms
    /// that ran, how many readers of each output are still to read it.
    private struct Evaluation {
        let graph: TransformGraph
        let point: String
        let partition: TopicPartition
        var injected: [PipelineRecord]
        var result = Result()
        /// Outputs made and not yet taken, by name (`<transform>` or `<route>.<case>`).
        var made: [String: [PipelineRecord]] = [:]
        var ran = Set<String>()
        var readers: [String: Int] = [:]

        init(graph: TransformGraph, point: String, partition: TopicPartition?, injected: consuming [PipelineRecord]) {
            self.graph = graph
            self.point = point
            self.partition = partition ?? TopicPartition(topic: point, partition: 0)
            self.injected = injected
            for id in graph.transforms.keys {
                for input in graph.definition.component(id)?.inputs ?? [] { readers[input, default: 0] += 1 }
            }
            for name in graph.wanted { readers[name, default: 0] += 1 }
        }

        mutating func wantedResult() -> Result {
            let wanted = graph.wanted
            result.records = wanted.count == 1 ? records(of: wanted[0]) : wanted.flatMap { records(of: $0) }
            return result
        }

        private mutating func take(_ name: String, from records: inout [PipelineRecord]) -> [PipelineRecord] {
            readers[name, default: 1] -= 1
            guard readers[name, default: 0] <= 0 else { return records }
            defer { records = [] }
            return records
        }

        mutating func records(of input: String) -> [PipelineRecord] {
            if graph.definition.topics[input] != nil {
                guard input == point else { return [] }
                var batch = injected
                injected = []
                let taken = take(input, from: &batch)
                injected = batch
                return taken
            }
            guard let id = graph.producerOf[input] else { return [] }
            run(id)
            var records = made.removeValue(forKey: input) ?? []
            let taken = take(input, from: &records)
            if !records.isEmpty { made[input] = records }
            return taken
        }

        /// Runs transform `id` on its inputs, once.
        mutating func run(_ id: String) {
            guard !ran.contains(id), let transform = graph.transforms[id], let component = graph.definition.component(id) else {
                return
            }
            ran.insert(id)
            let inputs: [PipelineRecord]
            if id == point {
                // Given to this transform (`weir test`'s `at`), which nothing else reads.
                inputs = injected
                injected = []
            } else if component.inputs.count == 1 {
                inputs = records(of: component.inputs[0])
            } else {
                inputs = component.inputs.flatMap { records(of: $0) }
            }
            let count = inputs.count
            let output =
                if let stateful = graph.stateful[id] {
                    stateful.process(inputs, from: partition)
                } else {
                    graph.splitter.process(inputs, with: transform)
                }
            if let stats = graph.stats[id] {
                let sent = output.outputs.values.reduce(0) { $0 + $1.count }
                stats.add(received: count, sent: sent, errors: output.failures.count)
                if stats.tap.isListening { stats.tap.offer(output.outputs.values.flatMap { $0 }) }
            }
            result.failures += output.failures.map {
                Failure(record: $0.record, transform: id, reason: $0.reason, onError: component.onError)
            }
            if let fatal = output.fatal { result.fatal = result.fatal ?? "transform '\(id)': \(fatal)" }
            for (name, records) in output.outputs { made[name.isEmpty ? id : "\(id).\(name)"] = records }
        }
    }
}
