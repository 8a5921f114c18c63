import WeirValues

extension ComponentRegistry {
    /// `lookup`: enrichment from a CSV or JSON-lines table file, or from a topic read as a table.
    static func registerLookup(into registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec(
                type: "lookup", kind: .transform,
                summary:
                    "adds the row of a table (a CSV or JSON-lines file, or a topic's latest record per key) whose key is a field's value",
                options: [
                    OptionSpec("path", .string, description: "the table file, reloaded when it changes (or topic)"),
                    OptionSpec(
                        "topic", .string, description: "a topic of the pipeline read as a table: its latest JSON record per key, followed"),
                    OptionSpec("format", .oneOf(["csv", "jsonl"]), description: "default: from the extension (.csv, .jsonl, .ndjson)"),
                    OptionSpec("key", .string, required: true, description: "the table's key column (CSV) or member (JSON lines, topic)"),
                    OptionSpec("field", .string, description: "the record field whose value is looked up; default: the key's name"),
                    OptionSpec("target", .string, description: "a field to put the row under as an object; default: merge it"),
                    OptionSpec("overwrite", .bool, default: .bool(false), description: "merged columns replace fields the record has"),
                    OptionSpec("columns", .stringList, description: "the columns a match adds; default: all but the key"),
                    OptionSpec("types", .stringMap, description: "CSV column: int | double | bool | string"),
                    OptionSpec("on_missing", .oneOf(["keep", "drop", "dead_letter"]), default: .string("keep")),
                    OptionSpec(
                        "max_rows", .integer(1...100_000_000), default: .int(1_000_000), description: "a larger table file is refused"),
                    OptionSpec(
                        "max_keys", .integer(1...100_000_000), default: .int(1_000_000),
                        description: "a table topic with more keys stops the pipeline"),
                    OptionSpec(
                        "check_interval_ms", .integer(0...86_400_000), default: .int(1000),
                        description: "how often the file is looked at (one stat) for a change"),
                ]), transform: { try LookupTransform(options: $0) })
    }
}

extension LookupTransform {
    init(options: ComponentOptions) throws {
        let path = options.string("path")
        switch (path, options.string("topic")) {
        case (nil, nil): throw options.invalid("path", "or topic is required: the table is a file or a topic")
        case (_?, _?): throw options.invalid("topic", "is given with path: the table is a file or a topic, not both")
        case (nil, let topic?): try self.init(options: options, topic: topic)
        case (let path?, nil): try self.init(options: options, path: path)
        }
    }

    /// The options both kinds of table take.
    private static func common(_ options: ComponentOptions) throws -> (key: String, field: String, target: String?, columns: [String]?) {
        let key = try options.required("key")
        if key.isEmpty { throw options.invalid("key", "may not be empty") }
        let field = options.string("field") ?? key
        if field.isEmpty { throw options.invalid("field", "may not be empty") }
        let target = options.string("target")
        if target?.isEmpty == true { throw options.invalid("target", "may not be empty") }
        if target == field { throw options.invalid("target", "is the looked-up field itself") }
        var columns: [String]?
        if options["columns"] != nil {
            let names = options.strings("columns")
            if names.isEmpty { throw options.invalid("columns", "needs at least one name") }
            if names.contains("") { throw options.invalid("columns", "may not hold an empty name") }
            if let twice = names.enumerated().first(where: { names[..<$0.offset].contains($0.element) })?.element {
                throw options.invalid("columns", "names '\(twice)' twice")
            }
            columns = names
        }
        return (key, field, target, columns)
    }

    /// A table topic: the log is the runner's (nil in `weir validate` and `weir test`, where
    /// the first batch then stops the run with the reason).
    private init(options: ComponentOptions, topic: String) throws {
        if topic.isEmpty { throw options.invalid("topic", "may not be empty") }
        for fileOnly in ["format", "types", "max_rows", "check_interval_ms"] where options[fileOnly] != nil {
            throw options.invalid(fileOnly, "is for a table file (path), not a table topic")
        }
        if options.log?.isCluster == true {
            throw options.invalid(
                "topic", "is read from the embedded log only: a run on a cluster (--bootstrap) cannot follow a table topic yet")
        }
        let (key, field, target, columns) = try Self.common(options)
        self.init(
            id: options.id, field: field, target: target, overwrite: options.bool("overwrite") ?? false,
            onMissing: options.choice("on_missing", default: .keep), file: nil,
            topic: LookupTopicTable(
                topic: topic, key: key, columns: columns, maxKeys: Int(options.int("max_keys") ?? 1_000_000), log: options.log,
                pipeline: options.pipeline, component: options.id))
    }

    private init(options: ComponentOptions, path: String) throws {
        if path.isEmpty { throw options.invalid("path", "may not be empty") }
        if options["max_keys"] != nil { throw options.invalid("max_keys", "is for a table topic; a table file's limit is max_rows") }
        let format: LookupTableSpec.Format
        if let given = options.string("format") {
            format = LookupTableSpec.Format(rawValue: given) ?? .csv
        } else if path.hasSuffix(".csv") {
            format = .csv
        } else if path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") {
            format = .jsonl
        } else {
            throw options.invalid("path", "has no .csv, .jsonl or .ndjson extension: give format (csv or jsonl)")
        }
        let (key, field, target, columns) = try Self.common(options)
        var types: [String: CSVColumnType] = [:]
        for (column, name) in options.stringPairs("types") {
            if format != .csv { throw options.invalid("types", "is for CSV tables: JSON lines keep their JSON types") }
            guard let type = CSVColumnType(rawValue: name) else {
                throw options.invalid("types", "gives '\(column)' the type '\(name)': use int, double, bool or string")
            }
            if let columns, !columns.contains(column) { throw options.invalid("types", "names '\(column)', which is not in columns") }
            types[column] = type
        }
        let spec = LookupTableSpec(
            path: path, format: format, key: key, columns: columns, types: types, maxRows: Int(options.int("max_rows") ?? 1_000_000))
        self.init(
            id: options.id, field: field, target: target, overwrite: options.bool("overwrite") ?? false,
            onMissing: options.choice("on_missing", default: .keep),
            file: LookupTableFile(
                spec: spec, interval: .milliseconds(options.int("check_interval_ms") ?? 1000), pipeline: options.pipeline,
                component: options.id), topic: nil)
    }
}
