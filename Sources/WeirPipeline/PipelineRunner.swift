import Foundation
public import Logging
public import WeirLog

/// Runs a validated pipeline once over what its bounded sources hold (`weir run --once`):
/// sources append into topics, then each sink reads its topics as its consumer group,
/// sends each batch through the transforms between them, writes, and commits.
///
/// Delivery in this first version:
/// - a `file` source remembers, per file (by `FileIdentity`), how far it read, and on the
///   next run reads only what was added; a run killed while appending a file appends
///   that file's new part again (at least once);
/// - a `file` sink is exactly once: its length and its input offsets are committed
///   together in one durable checkpoint, and a restart cuts the file back to that length;
/// - `stdout` is at least once (output is flushed before each commit); `blackhole` counts.
///
/// What `--once` cannot do yet (`tail`, `topic` and `http` sinks, multiline, parallelism)
/// is refused before anything is written.
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

    public struct NotRunnable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Refuses, before anything is written, what `--once` cannot run yet.
    public static func checkRunnable(_ definition: PipelineDefinition) throws {
        var problems: [String] = []
        for component in definition.components {
            let place = "\(definition.file):\(component.line):\(component.column)"
            switch (component.kind, component.type) {
            case (.source, "file"):
                for option in ["multiline", "max_line_bytes", "oversize"] where component.options[option] != nil {
                    problems.append("\(place): \(option) of source '\(component.id)' is not supported by run --once yet")
                }
            case (.source, "stdin"), (.source, "generate"), (.transform, _), (.sink, "file"), (.sink, "stdout"), (.sink, "blackhole"):
                break
            default:
                problems.append("\(place): \(component.kind.rawValue) type '\(component.type)' of '\(component.id)' does not run yet (run --once supports file, stdin and generate sources and file, stdout and blackhole sinks)")
            }
            if component.parallelism > 1 {
                problems.append("\(place): parallelism of '\(component.id)' is not supported by run --once yet")
            }
        }
        if !problems.isEmpty { throw NotRunnable(description: problems.joined(separator: "\n")) }
    }

    /// Creates missing topics, runs every source to its end, then drains every sink.
    /// `output` writes a line to standard output, `flushOutput` makes it written: both
    /// throw when the reader went away, which stops the run before the next commit.
    public func runOnce(output: @escaping (String) throws -> Void = { print($0) }, flushOutput: @escaping () throws -> Void = {}) throws -> Summary {
        try Self.checkRunnable(definition)
        var summary = Summary()
        for (name, config) in definition.topics.sorted(by: { $0.key < $1.key }) where (try? log.topic(name)) == nil {
            _ = try log.createTopic(name, config: config)
        }
        for source in definition.components where source.kind == .source {
            summary.appended[source.id] = try runSource(source)
        }
        for sink in definition.components where sink.kind == .sink {
            let (written, failed) = try drain(sink, output: output, flushOutput: flushOutput)
            summary.written[sink.id] = written
            summary.failed[sink.id] = failed
        }
        return summary
    }

    // MARK: Sources

    struct SourceCheckpoint: Codable {
        struct Entry: Codable {
            var identity: FileIdentity
            /// Bytes of the file already appended.
            var offset: UInt64
        }
        var files: [Entry] = []

        /// The entry of the file now at `path`: same device and inode with the same first
        /// bytes, or (a file moved, even across devices) a full-size fingerprint match.
        func entry(for path: String, _ current: FileIdentity) -> Int? {
            files.firstIndex { entry in
                let sameInode = entry.identity.device == current.device && entry.identity.inode == current.inode
                let fullPrint = entry.identity.fingerprintLength == FileIdentity.fingerprintSize
                return (sameInode || fullPrint) && entry.identity.matches(current, path: path)
            }
        }
    }

    private func runSource(_ source: ComponentDefinition) throws -> Int {
        let topic = try log.topic(source.topic!)
        switch source.type {
        case "file":
            let path = checkpoints + "/source-\(source.id).json"
            var checkpoint: SourceCheckpoint = try readCheckpoint(path) ?? SourceCheckpoint()
            var lines = 0
            for file in expand(source.options["paths"]) {
                guard let identity = FileIdentity.of(path: file) else {
                    logger.warning("cannot open input file", metadata: ["source": "\(source.id)", "path": "\(file)"])
                    continue
                }
                let index = checkpoint.entry(for: file, identity)
                let from = index.map { checkpoint.files[$0].offset } ?? 0
                let fd = open(file, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                var info = stat()
                guard fstat(fd, &info) == 0, UInt64(info.st_size) > from, lseek(fd, off_t(from), SEEK_SET) >= 0 else { continue }
                lines += try LineProducer(producer: try Producer(topic: topic)).run(fd: fd).lines
                let size = UInt64(lseek(fd, 0, SEEK_CUR))
                // The identity taken now covers the bytes read (a short file's prefix grows).
                let entry = SourceCheckpoint.Entry(identity: FileIdentity.of(path: file) ?? identity, offset: size)
                if let index { checkpoint.files[index] = entry } else { checkpoint.files.append(entry) }
                try writeCheckpoint(checkpoint, path)
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

    /// A checkpoint, or nil if there is none yet; a damaged one is an error, never a
    /// silent restart (which could cut a sink's output to nothing).
    private func readCheckpoint<T: Decodable>(_ path: String) throws -> T? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw NotRunnable(description: "checkpoint \(path) cannot be read (\(error)); refusing to guess where to continue")
        }
    }

    private func writeCheckpoint(_ value: some Encodable, _ path: String) throws {
        try DurableFile.write(Array(try JSONEncoder().encode(value)), to: path)
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
        /// The output file this checkpoint belongs to.
        var path: String?
        var length: UInt64 = 0
        var offsets: [String: Int64] = [:]  // "topic/partition"
    }

    private func drain(_ sink: ComponentDefinition, output: @escaping (String) throws -> Void, flushOutput: () throws -> Void) throws -> (Int, Int) {
        let checkpointPath = checkpoints + "/sink-\(sink.id).json"
        let saved: SinkCheckpoint? = try readCheckpoint(checkpointPath)
        var checkpoint = saved ?? SinkCheckpoint()
        var fileSink: FileSink?
        if sink.type == "file", case .string(let path) = sink.options["path"] {
            if let committed = saved?.path, committed != path {
                throw NotRunnable(description: "sink '\(sink.id)' wrote \(committed) before and now points at \(path); remove \(checkpointPath) to start the new file from the beginning")
            }
            if saved == nil, FileManager.default.fileExists(atPath: path),
               let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64, size > 0 {
                throw NotRunnable(description: "sink '\(sink.id)' would write \(path), which already holds data this pipeline did not write; move it away first")
            }
            checkpoint.path = path
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
                // The sink's own checkpoint is the truth (the group's offsets only mirror it).
                let start = checkpoint.offsets[key].map { max($0, partition.startOffset) } ?? partition.startOffset
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
                    let result = try graph.process(batch, from: topicName)
                    failed += result.failures.count
                    for failure in result.failures where failure.onError != "drop" {
                        // The dead-letter topic is not built yet: every failure is logged.
                        logger.warning("record failed", metadata: ["sink": "\(sink.id)", "transform": "\(failure.transform)", "reason": "\(failure.reason)"])
                    }
                    switch sink.type {
                    case "file": checkpoint.length = try fileSink!.write(result.records)
                    case "stdout":
                        let encoding = sink.options["encoding"] ?? .string("text")
                        for record in result.records {
                            if encoding == .string("json") {
                                try output(record.fields.jsonText())
                            } else if case .string(let text) = record[field: "message"] {
                                try output(text)
                            } else {
                                try output(record.fields.jsonText())
                            }
                        }
                        try flushOutput()
                    default: break  // blackhole counts
                    }
                    written += result.records.count
                    checkpoint.offsets[key] = reader.position
                    try writeCheckpoint(checkpoint, checkpointPath)
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
        var failures: [Failure] = []
    }

    struct Failure {
        var transform: String
        var reason: String
        var onError: String
    }

    struct Stop: Error, CustomStringConvertible {
        var description: String
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

    /// What reaches the sink from `batch`, read from `topic`. A failure in a transform
    /// whose `on_error` is `fail` stops the run (before the batch is committed).
    func process(_ batch: [PipelineRecord], from topic: String) throws -> Result {
        var result = Result()
        var cache: [String: TransformResult] = [:]
        func records(of input: String) -> [PipelineRecord] {
            if input == topic { return batch }
            if definition.topics[input] != nil { return [] }
            let id = Self.producer(of: input, in: definition)
            if cache[id] == nil, let transform = transforms[id], let component = definition.component(id) {
                let inputs = component.inputs.flatMap { records(of: $0) }
                let output = transform.process(inputs)
                result.failures += output.failures.map { Failure(transform: id, reason: $0.reason, onError: component.onError) }
                cache[id] = output
            }
            let name = input == id ? "" : String(input.dropFirst(id.count + 1))
            return cache[id]?.outputs[name] ?? []
        }
        result.records = sink.inputs.flatMap { records(of: $0) }
        if let fatal = result.failures.first(where: { $0.onError == "fail" }) {
            throw Stop(description: "transform '\(fatal.transform)' (on_error: fail): \(fatal.reason)")
        }
        return result
    }
}
