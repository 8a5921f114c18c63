import WeirLog
import WeirValues

extension ComponentRegistry {
    /// Weir's own components, registered through the same API as any plugin.
    public static let builtIn: ComponentRegistry = {
        var registry = ComponentRegistry()
        registry.register(
            ComponentSpec(
                type: "file", kind: .source, summary: "reads files matching globs once, remembering where it stopped",
                options: [
                    OptionSpec("paths", .stringList, required: true), MultilineJoiner.Rule.option,
                    OptionSpec("max_line_bytes", .integer(1...(1 << 30))), OptionSpec("oversize", .oneOf(["truncate", "dlq"])),
                ]), source: { FileSourcePlugin(options: FileSource.Options($0)) })
        registry.register(
            ComponentSpec(type: "stdin", kind: .source, summary: "reads standard input until its end", options: []),
            source: { _ in StdinSource() })
        registry.register(
            ComponentSpec(
                type: "tail", kind: .source, summary: "follows files matching globs through rotation",
                options: [
                    OptionSpec("paths", .stringList, required: true), OptionSpec("read_from", .oneOf(["beginning", "end"])),
                    OptionSpec("scan_interval_ms", .integer(10...3_600_000)),
                    OptionSpec("partial_line_timeout_ms", .integer(0...3_600_000)),
                    MultilineJoiner.Rule.option, OptionSpec("max_line_bytes", .integer(1...(1 << 30))),
                    OptionSpec("oversize", .oneOf(["truncate", "dlq"])),
                ]), source: { FileSourcePlugin(options: FileSource.Options($0)) })
        registry.register(
            ComponentSpec(
                type: "generate", kind: .source, summary: "synthetic lines at a given count and rate",
                options: [
                    OptionSpec("count", .integer(0...Int64.max)), OptionSpec("rate", .integer(1...Int64.max)),
                    OptionSpec("lines", .stringList),
                ]), source: { GenerateSource(options: $0) })
        registerSyslog(into: &registry)
        registry.register(
            ComponentSpec(
                type: "filter", kind: .transform, summary: "keeps records for which a condition holds",
                options: [
                    OptionSpec("condition", .expression, required: true)
                ]), transform: { FilterTransform(condition: try $0.requiredExpression("condition")) })
        registry.register(
            ComponentSpec(
                type: "parse_regex", kind: .transform, summary: "named captures of a regex become fields",
                options: [
                    OptionSpec("pattern", .regex, required: true), OptionSpec("field", .string),
                ]), transform: { try ParseRegexTransform(pattern: try $0.required("pattern"), field: $0.string("field") ?? "message") })
        registerGrok(into: &registry)
        registerAggregate(into: &registry)
        registerReduce(into: &registry)
        registry.register(
            ComponentSpec(
                type: "parse_json", kind: .transform, summary: "a JSON object in a field becomes fields",
                options: [OptionSpec("field", .string)]), transform: { ParseJSONTransform(field: $0.string("field") ?? "message") })
        registry.register(
            ComponentSpec(
                type: "parse_logfmt", kind: .transform, summary: "key=value pairs become fields", options: [OptionSpec("field", .string)]),
            transform: { ParseLogfmtTransform(field: $0.string("field") ?? "message") })
        registerTableParsers(into: &registry)
        registerLookup(into: &registry)
        registerDedupe(into: &registry)
        registry.register(
            ComponentSpec(
                type: "set", kind: .transform, summary: "sets fields to computed values",
                options: [OptionSpec("fields", .expressionMap, required: true)]),
            transform: { SetTransform(fields: $0.expressions("fields")) })
        registry.register(
            ComponentSpec(
                type: "rename", kind: .transform, summary: "renames fields", options: [OptionSpec("fields", .stringMap, required: true)]),
            transform: { RenameTransform(pairs: $0.stringPairs("fields")) })
        registry.register(
            ComponentSpec(
                type: "remove", kind: .transform, summary: "removes fields", options: [OptionSpec("fields", .stringList, required: true)]),
            transform: { RemoveTransform(fields: $0.strings("fields")) })
        registry.register(
            ComponentSpec(
                type: "timestamp", kind: .transform, summary: "parses a field into the record timestamp",
                options: [
                    OptionSpec("field", .string, required: true), OptionSpec("format", .string, required: true),
                ]), transform: { TimestampTransform(field: try $0.required("field"), format: try $0.required("format")) })
        registry.register(
            ComponentSpec(
                type: "route", kind: .transform, summary: "sends records to <id>.<case> outputs by condition",
                options: [
                    OptionSpec("routes", .expressionMap, required: true)
                ]), transform: { RouteTransform(routes: $0.expressions("routes")) })
        registry.register(
            ComponentSpec(
                type: "sample", kind: .transform, summary: "keeps one record in N",
                options: [OptionSpec("rate", .integer(1...Int64.max), required: true)]),
            transform: { SampleTransform(rate: $0.int("rate") ?? 1) })
        registerFormatParsers(into: &registry)
        registry.register(
            ComponentSpec(
                type: "file", kind: .sink, summary: "writes records to files, exactly once",
                options: [
                    OptionSpec("path", .string, required: true), OptionSpec("encoding", .oneOf(["json", "text"])),
                    OptionSpec("max_bytes", .integer(1...Int64.max)),
                ]),
            check: { options in
                guard (try? PathTemplate(try options.required("path"))) != nil else {
                    throw options.invalid("path", "may have only %Y %m %d %H %M %S (from the record timestamp, UTC) and %% after a %")
                }
            }, sink: { try FileSink(options: $0.options, saved: $0.saved, checkpointPath: $0.checkpointPath, createdPath: $0.createdPath) })
        registry.register(
            ComponentSpec(
                type: "stdout", kind: .sink, summary: "prints records", options: [OptionSpec("encoding", .oneOf(["json", "text"]))]),
            sink: { StdoutSink(writer: $0.lines, encoding: $0.options.choice("encoding", default: RecordEncoding.text)) })
        registry.register(
            ComponentSpec(
                type: "topic", kind: .sink, summary: "appends records to another topic",
                options: [
                    OptionSpec("topic", .string, required: true), OptionSpec("key", .expression),
                    OptionSpec("encoding", .oneOf(["json", "text"])),
                ]),
            sink: { setup in
                try TopicSink(
                    topic: try setup.options.required("topic"), log: setup.log, key: setup.options.expression("key"),
                    encoding: setup.options.choice("encoding", default: RecordEncoding.json))
            })
        registry.register(
            ComponentSpec(
                type: "http", kind: .sink, summary: "POSTs batches of JSON to a URL",
                options: [
                    OptionSpec("url", .string, required: true), OptionSpec("batch_size", .integer(1...100_000)),
                    OptionSpec("timeout_ms", .integer(1...3_600_000)), OptionSpec("max_retries", .integer(0...1000)),
                ]), sink: { try HTTPSink(options: $0.options, deadLetters: $0.deadLetters, abort: $0.abort, logger: $0.logger) })
        registry.register(
            ComponentSpec(type: "blackhole", kind: .sink, summary: "counts records and drops them", options: []),
            sink: { _ in BlackholeSink() })
        return registry
    }()
}

/// `file` and `tail`: a `FileSource` per run.
struct FileSourcePlugin: PipelineSource {
    let options: FileSource.Options

    func run(_ context: SourceContext) throws {
        let reader = FileSource(
            id: context.options.id, options: options, writer: context.writer, deadLetters: context.deadLetters, logger: context.logger)
        try reader.run(bounded: context.once || !options.follow, stop: context.stop)
    }
}
