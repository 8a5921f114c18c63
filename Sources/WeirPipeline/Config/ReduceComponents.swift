import WeirValues

extension ComponentRegistry {
    /// `reduce` (docs/transforms.md, `## reduce`).
    static func registerReduce(into registry: inout ComponentRegistry) {
        let strategies = ReduceStrategy.allCases.map(\.rawValue).joined(separator: " | ")
        registry.register(
            ComponentSpec.partitionState(
                type: "reduce", kind: .transform,
                summary: "merges consecutive records of a key into one until a condition, a count or a timeout of event time",
                options: [
                    OptionSpec("group_by", .stringList, description: "the fields that make a group (none: one group)"),
                    OptionSpec(
                        "starts_when", .expression, description: "a record that matches closes its group's open one and starts the next"),
                    OptionSpec("ends_when", .expression, description: "a record that matches closes its group, itself included"),
                    OptionSpec("max_records", .integer(1...Int64(Int32.max)), description: "a group closes when it has this many records"),
                    OptionSpec(
                        "timeout", .string,
                        description:
                            "a duration of event time: a group closes when the partition's event time is more than this past its last record"
                    ),
                    OptionSpec(
                        "timestamp_field", .string, description: "event time: epoch ms or RFC 3339 (default: the record's timestamp)"),
                    OptionSpec(
                        "merge", .stringMap,
                        description: "field: \(strategies) (default: concat_newline for message, last for the rest)"),
                    OptionSpec(
                        "max_groups", .integer(1...10_000_000), default: .int(10_000),
                        description: "groups open at once per partition; beyond, the one whose last record is the oldest closes"),
                ]),
            transform: { try ReduceTransform(options: $0) })
    }
}

extension ReduceTransform {
    convenience init(options: ComponentOptions) throws {
        var settings = Options()
        settings.groupBy = options.strings("group_by")
        settings.startsWhen = options.expression("starts_when")
        settings.endsWhen = options.expression("ends_when")
        settings.maxRecords = options.int("max_records").map { Int($0) }
        settings.timestampField = options.string("timestamp_field")
        settings.maxGroups = Int(options.int("max_groups") ?? 10_000)
        if let text = options.string("timeout") {
            guard let ms = AggregateDuration.milliseconds(text), ms > 0 else {
                throw options.invalid("timeout", "must be a duration longer than 0 such as 500ms, 10s, 1m, 2h or 1d, not '\(text)'")
            }
            settings.timeout = ms
        }
        if settings.timestampField != nil && settings.timeout == nil {
            throw options.invalid("timestamp_field", "is only read for timeout, which is not set")
        }
        guard settings.startsWhen != nil || settings.endsWhen != nil || settings.maxRecords != nil || settings.timeout != nil else {
            throw options.invalid(
                "type", "'reduce' needs at least one of starts_when, ends_when, max_records or timeout (else a group never closes)")
        }
        var configured: [String: ReduceStrategy] = [:]
        for (field, name) in options.stringPairs("merge") {
            guard let strategy = ReduceStrategy(rawValue: name) else {
                throw options.invalid(
                    "merge.\(field)", "'\(name)' is not a strategy: \(ReduceStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if field == "reduce_count" { throw options.invalid("merge.\(field)", "reduce_count is the count reduce writes") }
            configured[field] = strategy
        }
        settings.strategies = ReduceStrategies(configured)
        self.init(settings)
    }
}
