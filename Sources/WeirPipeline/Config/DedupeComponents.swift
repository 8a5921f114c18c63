import WeirValues

extension ComponentRegistry {
    /// `dedupe` (docs/transforms.md, `## dedupe`).
    static func registerDedupe(into registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec.partitionState(
                type: "dedupe", kind: .transform,
                summary: "drops a record whose key was seen within a window of event time or among the last N keys",
                options: [
                    OptionSpec("fields", .stringList, description: "the fields that make the key (a missing one is null)"),
                    OptionSpec("key_expression", .expression, description: "the key as an expression, instead of fields"),
                    OptionSpec(
                        "window", .string, description: "a duration of event time: 500ms, 10s, 1m (none: as long as the key is kept)"),
                    OptionSpec(
                        "timestamp_field", .string,
                        description: "event time with window: epoch ms or RFC 3339 (default: the record's timestamp)"),
                    OptionSpec("on_duplicate", .oneOf(["drop", "dead_letter"]), default: .string("drop")),
                    OptionSpec(
                        "max_keys", .integer(1...100_000_000), default: .int(10_000),
                        description: "keys kept; beyond, the least recently seen is forgotten"),
                ]),
            transform: { try DedupeTransform(options: $0) })
    }
}

extension DedupeTransform {
    convenience init(options: ComponentOptions) throws {
        let fields = options.strings("fields")
        let key: Key
        switch (fields.isEmpty, options.expression("key_expression")) {
        case (false, nil): key = .fields(fields)
        case (true, let expression?): key = .expression(expression)
        case (false, _?): throw options.invalid("key_expression", "takes the place of fields: give one of them")
        case (true, nil): throw options.invalid("fields", "must name the key's fields (or give key_expression)")
        }
        var window: Int64?
        if let text = options.string("window") {
            guard let ms = AggregateDuration.milliseconds(text), ms > 0 else {
                throw options.invalid("window", "must be a duration such as 500ms, 10s, 1m, 2h or 1d")
            }
            window = ms
        } else if options.string("timestamp_field") != nil {
            throw options.invalid("timestamp_field", "is the event time of window: give a window too")
        }
        self.init(
            key: key, window: window, timestampField: options.string("timestamp_field"),
            deadLetter: options.string("on_duplicate") == "dead_letter", maxKeys: Int(options.int("max_keys") ?? 10_000))
    }
}
