import WeirValues

extension ComponentRegistry {
    /// `lookup`: enrichment from a CSV or JSON-lines table file.
    static func registerLookup(into registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec(
                type: "lookup", kind: .transform, summary: "adds the row of a table file (CSV or JSON lines) whose key is a field's value",
                options: [
                    OptionSpec("path", .string, required: true, description: "the table file, reloaded when it changes"),
                    OptionSpec("format", .oneOf(["csv", "jsonl"]), description: "default: from the extension (.csv, .jsonl, .ndjson)"),
                    OptionSpec("key", .string, required: true, description: "the table's key column (CSV) or member (JSON lines)"),
                    OptionSpec("field", .string, description: "the record field whose value is looked up; default: the key's name"),
                    OptionSpec("target", .string, description: "a field to put the row under as an object; default: merge it"),
                    OptionSpec("overwrite", .bool, default: .bool(false), description: "merged columns replace fields the record has"),
                    OptionSpec("columns", .stringList, description: "the columns a match adds; default: all but the key"),
                    OptionSpec("types", .stringMap, description: "CSV column: int | double | bool | string"),
                    OptionSpec("on_missing", .oneOf(["keep", "drop", "dead_letter"]), default: .string("keep")),
                    OptionSpec("max_rows", .integer(1...100_000_000), default: .int(1_000_000), description: "a larger table is refused"),
                    OptionSpec(
                        "check_interval_ms", .integer(0...86_400_000), default: .int(1000),
                        description: "how often the file is looked at (one stat) for a change"),
                ]), transform: { try LookupTransform(options: $0) })
    }
}

extension LookupTransform {
    init(options: ComponentOptions) throws {
        let path = try options.required("path")
        if path.isEmpty { throw options.invalid("path", "may not be empty") }
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
                component: options.id))
    }
}
