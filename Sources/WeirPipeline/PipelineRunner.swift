import Foundation
public import Logging
public import WeirLog

/// Runs a validated pipeline once over what its bounded sources hold (`weir run --once`):
/// sources append into topics, then each sink reads its topics as its consumer group,
/// sends each batch through the transforms between them, writes, and commits.
///
/// Delivery in this first version:
/// - a `file` source remembers each file it finished (by `FileIdentity`) and does not
///   read it again; a run killed while appending a file appends it again (at least once);
/// - a `file` sink is exactly once: its length and its input offsets are committed
///   together in one checkpoint, and a restart cuts the file back to that length;
/// - `stdout` and `blackhole` are at least once.
public final class PipelineRunner {
    public let definition: PipelineDefinition
    public let log: EmbeddedLog
    let logger: Logger
    let checkpoints: String
    /// Records per read-transform-write-commit step.
    public var batchSize = 10_000

    public struct Summary: Sendable, Equatable {
        public var appended: [String: Int] = [:]
        public var written: [String: Int] = [:]
        public var failed: [String: Int] = [:]
    }

    public init(definition: PipelineDefinition, log: EmbeddedLog, logger: Logger = Logger(label: "weir.pipeline")) throws {
        self.definition = definition
        self.log = log
        self.logger = logger
        checkpoints = log.directory + "/pipelines/" + definition.name
        try FileManager.default.createDirectory(atPath: checkpoints, withIntermediateDirectories: true)
    }

    /// Creates missing topics, runs every source to its end, then drains every sink.
    public func runOnce(output: @escaping (String) -> Void = { print($0) }) throws -> Summary {
        var summary = Summary()
        for (name, config) in definition.topics.sorted(by: { $0.key < $1.key }) where (try? log.topic(name)) == nil {
            _ = try log.createTopic(name, config: config)
        }
        for source in definition.components where source.kind == .source {
            summary.appended[source.id] = try runSource(source)
        }
        for sink in definition.components where sink.kind == .sink {
            let (written, failed) = try drain(sink, output: output)
            summary.written[sink.id] = written
            summary.failed[sink.id] = failed
        }
        return summary
    }

    // MARK: Sources

    struct SourceCheckpoint: Codable {
        var finished: [FileIdentity] = []
    }

    private func runSource(_ source: ComponentDefinition) throws -> Int {
        let topic = try log.topic(source.topic!)
        switch source.type {
        case "file":
            let path = checkpoints + "/source-\(source.id).json"
            var checkpoint = (try? JSONDecoder().decode(SourceCheckpoint.self, from: Data(contentsOf: URL(fileURLWithPath: path)))) ?? SourceCheckpoint()
            var lines = 0
            for file in expand(source.options["paths"]) {
                guard let identity = FileIdentity.of(path: file) else {
                    logger.warning("cannot open input file", metadata: ["source": "\(source.id)", "path": "\(file)"])
                    continue
                }
                if checkpoint.finished.contains(where: { $0.matches(path: file) }) { continue }
                let fd = open(file, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                lines += try LineProducer(producer: try Producer(topic: topic)).run(fd: fd).lines
                checkpoint.finished.append(identity)
                try JSONEncoder().encode(checkpoint).write(to: URL(fileURLWithPath: path), options: .atomic)
            }
            return lines
        case "stdin":
            return try LineProducer(producer: try Producer(topic: topic)).run(fd: 0).lines
        case "generate":
            let producer = try Producer(topic: topic)
            let count: Int64 = if case .int(let n) = source.options["count"] { n } else { 0 }
            let templates: [String] = if case .array(let items) = source.options["lines"] {
                items.compactMap { if case .string(let text) = $0 { text } else { nil } }
            } else { ["generated line"] }
            for i in 0..<count {
                let line = templates[Int(i % Int64(max(1, templates.count)))] + " \(i)"
                try Array(line.utf8).withUnsafeBytes { try producer.send(key: nil, value: $0) }
            }
            try producer.flush()
            return Int(count)
        default:
            throw TransformFactory.Unsupported(description: "source type '\(source.type)' does not run yet (weir run --once supports file, stdin and generate)")
        }
    }

    private func expand(_ paths: Value?) -> [String] {
        guard case .array(let items) = paths else { return [] }
        var files: [String] = []
        for case .string(let pattern) in items {
            var result = glob_t()
            defer { globfree(&result) }
            guard glob(pattern, 0, nil, &result) == 0 else { continue }
            for i in 0..<Int(result.gl_pathc) {
                if let path = result.gl_pathv[i] { files.append(String(cString: path)) }
            }
        }
        return files.sorted()
    }

    // MARK: Sinks

    /// A sink's progress: its output length and the next offset of each input partition,
    /// written together so the output and the offsets can never disagree.
    struct SinkCheckpoint: Codable {
        var length: UInt64 = 0
        var offsets: [String: Int64] = [:]  // "topic/partition"
    }

    private func drain(_ sink: ComponentDefinition, output: @escaping (String) -> Void) throws -> (Int, Int) {
        let checkpointPath = checkpoints + "/sink-\(sink.id).json"
        var checkpoint = (try? JSONDecoder().decode(SinkCheckpoint.self, from: Data(contentsOf: URL(fileURLWithPath: checkpointPath)))) ?? SinkCheckpoint()
        var fileSink: FileSink?
        if sink.type == "file", case .string(let path) = sink.options["path"] {
            let encoding: FileSink.Encoding = sink.options["encoding"] == .string("text") ? .text : .json
            fileSink = try FileSink(path: path, encoding: encoding, committedLength: checkpoint.length)
        }
        let graph = try TransformGraph(definition: definition, sink: sink)
        var written = 0
        var failed = 0
        for topicName in graph.topics {
            let topic = try log.topic(topicName)
            for partition in topic.partitions {
                let key = "\(topicName)/\(partition.id)"
                let start = checkpoint.offsets[key].map { max($0, partition.startOffset) }
                    ?? log.committedPosition(group: sink.group, partition: partition) ?? partition.startOffset
                var reader = PartitionReader(partition: partition, from: start)
                let end = partition.endOffset
                while reader.position < end {
                    var batch: [PipelineRecord] = []
                    try reader.read(upTo: end, limit: batchSize) { view in
                        let message = view.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
                        batch.append(PipelineRecord(message: message, timestamp: view.timestamp, key: view.key.map(Array.init)))
                        return true
                    }
                    if batch.isEmpty { break }
                    let result = graph.process(batch, from: topicName)
                    failed += result.failures
                    for failure in result.failureReasons.prefix(3) {
                        logger.warning("record failed", metadata: ["sink": "\(sink.id)", "reason": "\(failure)"])
                    }
                    switch sink.type {
                    case "file": checkpoint.length = try fileSink!.write(result.records)
                    case "stdout":
                        let encoding = sink.options["encoding"] ?? .string("text")
                        for record in result.records {
                            if encoding == .string("json") { output(record.fields.jsonText()) } else if case .string(let text) = record[field: "message"] { output(text) } else { output(record.fields.jsonText()) }
                        }
                    default: break  // blackhole counts
                    }
                    written += result.records.count
                    checkpoint.offsets[key] = reader.position
                    try JSONEncoder().encode(checkpoint).write(to: URL(fileURLWithPath: checkpointPath), options: .atomic)
                    try? log.groups.commit(group: sink.group, memberID: nil, generation: nil,
                                           offsets: [TopicPartition(topic: topicName, partition: partition.id): reader.position])
                }
            }
        }
        return (written, failed)
    }
}

/// The transforms between a sink and its topics, evaluated per batch read from one topic.
struct TransformGraph {
    let definition: PipelineDefinition
    let sink: ComponentDefinition
    let transforms: [String: any RecordTransform]
    /// The topics the sink reads, directly or through transforms.
    let topics: [String]

    struct Result {
        var records: [PipelineRecord] = []
        var failures = 0
        var failureReasons: [String] = []
    }

    init(definition: PipelineDefinition, sink: ComponentDefinition) throws {
        self.definition = definition
        self.sink = sink
        var transforms: [String: any RecordTransform] = [:]
        var topics = Set<String>()
        var pending = sink.inputs
        while let input = pending.popLast() {
            if definition.topics[input] != nil {
                topics.insert(input)
                continue
            }
            let id = Self.producer(of: input, in: definition)
            guard transforms[id] == nil, let component = definition.component(id) else { continue }
            transforms[id] = try TransformFactory.make(component)
            pending += component.inputs
        }
        self.transforms = transforms
        self.topics = topics.sorted()
    }

    static func producer(of input: String, in definition: PipelineDefinition) -> String {
        if definition.component(input) != nil { return input }
        return String(input.split(separator: ".").dropLast().joined(separator: "."))
    }

    /// What reaches the sink from `batch`, read from `topic`.
    func process(_ batch: [PipelineRecord], from topic: String) -> Result {
        var result = Result()
        var cache: [String: TransformResult] = [:]
        func records(of input: String) -> [PipelineRecord] {
            if input == topic { return batch }
            if definition.topics[input] != nil { return [] }
            let id = Self.producer(of: input, in: definition)
            if cache[id] == nil, let transform = transforms[id], let component = definition.component(id) {
                let inputs = component.inputs.flatMap { records(of: $0) }
                let output = transform.process(inputs)
                result.failures += output.failures.count
                result.failureReasons += output.failures.map { "\(id): \($0.reason)" }
                cache[id] = output
            }
            let name = input == id ? "" : String(input.dropFirst(id.count + 1))
            return cache[id]?.outputs[name] ?? []
        }
        result.records = sink.inputs.flatMap { records(of: $0) }
        return result
    }
}
