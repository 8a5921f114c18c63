import WeirValues

extension ComponentRegistry {
    /// `parse_csv` and `parse_kv`: lines of separated values and of `key=value` pairs.
    static func registerTableParsers(into registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec(
                type: "parse_csv", kind: .transform, summary: "a line of delimiter-separated values becomes one field per column",
                options: [
                    OptionSpec("columns", .stringList, required: true, description: "the names of the values, in order"),
                    OptionSpec("field", .string, default: .string("message")),
                    OptionSpec("delimiter", .string, default: .string(","), description: "one ASCII character"),
                    OptionSpec(
                        "quote", .string, default: .string("\""), description: "one ASCII character; empty: values are never quoted"),
                    OptionSpec("trim", .bool, default: .bool(false), description: "drop spaces and tabs around values"),
                    OptionSpec("types", .stringMap, description: "column: int | double | bool | string"),
                    OptionSpec("skip_header", .bool, default: .bool(false), description: "drop a line whose values are the column names"),
                    OptionSpec("extra", .oneOf(["fail", "ignore", "rest"]), default: .string("fail")),
                    OptionSpec("missing", .oneOf(["fail", "ignore", "null"]), default: .string("fail")),
                ]), transform: { try ParseCSVTransform(options: $0) })
        registry.register(
            ComponentSpec(
                type: "parse_kv", kind: .transform, summary: "key=value pairs with configurable separators become fields",
                options: [
                    OptionSpec("field", .string, default: .string("message")),
                    OptionSpec(
                        "field_split", .string, default: .string(" \t"), description: "ASCII characters, any run of which separates pairs"),
                    OptionSpec("value_split", .string, default: .string("="), description: "the ASCII text between a key and its value"),
                    OptionSpec("quotes", .string, default: .string("\"'"), description: "ASCII characters that may quote a value"),
                    OptionSpec("trim_key", .string, description: "ASCII characters dropped at both ends of keys"),
                    OptionSpec("trim_value", .string, description: "ASCII characters dropped at both ends of values"),
                    OptionSpec("include_keys", .stringList), OptionSpec("exclude_keys", .stringList),
                    OptionSpec("prefix", .string, description: "put before each key"),
                    OptionSpec("bare_key", .oneOf(["skip", "flag", "empty"]), default: .string("skip")),
                ]), transform: { try ParseKVTransform(options: $0) })
    }
}

extension ParseCSVTransform {
    init(options: ComponentOptions) throws {
        let columns = options.strings("columns")
        guard !columns.isEmpty else { throw options.invalid("columns", "needs at least one name") }
        if columns.contains("") { throw options.invalid("columns", "may not hold an empty name") }
        if let twice = columns.enumerated().first(where: { columns[..<$0.offset].contains($0.element) })?.element {
            throw options.invalid("columns", "names '\(twice)' twice")
        }
        guard let delimiter = try Self.asciiByte(options, "delimiter", default: ",") else {
            throw options.invalid("delimiter", "must be one ASCII character")
        }
        if delimiter == UInt8(ascii: "\n") || delimiter == UInt8(ascii: "\r") {
            throw options.invalid("delimiter", "may not be a line break")
        }
        let quote = try Self.asciiByte(options, "quote", default: "\"")
        if quote == delimiter { throw options.invalid("quote", "must differ from the delimiter") }
        var types = [CSVColumnType?](repeating: nil, count: columns.count)
        for (column, name) in options.stringPairs("types") {
            guard let at = columns.firstIndex(of: column) else {
                throw options.invalid("types", "names '\(column)', which is not a column")
            }
            guard let type = CSVColumnType(rawValue: name) else {
                throw options.invalid("types", "gives '\(column)' the type '\(name)': use int, double, bool or string")
            }
            // A string column is the text as read: no conversion at all.
            types[at] = type == .string ? nil : type
        }
        self.init(
            field: options.string("field") ?? "message", columns: columns, types: types,
            splitter: CSVSplitter(delimiter: delimiter, quote: quote, trim: options.bool("trim") ?? false),
            extra: options.choice("extra", default: .fail), missing: options.choice("missing", default: .fail),
            skipHeader: options.bool("skip_header") ?? false)
    }

    /// The byte of an option of one ASCII character; nil when it is empty.
    static func asciiByte(_ options: ComponentOptions, _ name: String, default fallback: String) throws -> UInt8? {
        let text = options.string(name) ?? fallback
        if text.isEmpty { return nil }
        guard text.utf8.count == 1, let byte = text.utf8.first, byte < 0x80 else {
            throw options.invalid(name, "must be one ASCII character")
        }
        return byte
    }
}

extension ParseKVTransform {
    init(options: ComponentOptions) throws {
        let fieldSplit = try Self.asciiSet(options, "field_split", default: " \t")
        if fieldSplit.isEmpty { throw options.invalid("field_split", "needs at least one character") }
        let valueSplit = Array((options.string("value_split") ?? "=").utf8)
        guard let first = valueSplit.first else { throw options.invalid("value_split", "may not be empty") }
        if valueSplit.contains(where: { $0 >= 0x80 }) { throw options.invalid("value_split", "must be ASCII") }
        if fieldSplit.contains(first) { throw options.invalid("value_split", "may not start with a field_split character") }
        let quotes = try Self.asciiSet(options, "quotes", default: "\"'")
        if quotes.contains(UInt8(ascii: "\\")) { throw options.invalid("quotes", "may not hold the backslash") }
        self.init(
            field: options.string("field") ?? "message",
            scanner: KVScanner(fieldSplit: fieldSplit, valueSplit: valueSplit, quotes: quotes),
            trimKey: try Self.asciiSet(options, "trim_key", default: ""), trimValue: try Self.asciiSet(options, "trim_value", default: ""),
            includeKeys: Set(options.strings("include_keys")), excludeKeys: Set(options.strings("exclude_keys")),
            prefix: options.string("prefix") ?? "", bareKey: options.choice("bare_key", default: .skip))
    }

    /// The bytes of an option of ASCII characters, as a set.
    static func asciiSet(_ options: ComponentOptions, _ name: String, default fallback: String) throws -> ByteSet {
        let text = options.string(name) ?? fallback
        if text.utf8.contains(where: { $0 >= 0x80 }) { throw options.invalid(name, "must be ASCII characters") }
        return ByteSet(text.utf8)
    }
}
