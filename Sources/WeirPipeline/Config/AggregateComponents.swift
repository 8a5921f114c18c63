import WeirValues

extension ComponentRegistry {
    /// The stateful transforms (docs/transforms.md, `## aggregate`).
    static func registerAggregate(into registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec.partitionState(
                type: "aggregate", kind: .transform,
                summary: "counts, sums, min/max/avg/first/last per group and window of event time (exactly once across restarts)",
                options: [
                    OptionSpec("group_by", .stringList, description: "the fields that make a group (none: one group)"),
                    OptionSpec(
                        "timestamp_field", .string, description: "event time: epoch ms or RFC 3339 (default: the record's timestamp)"),
                    OptionSpec(
                        "window",
                        .object(
                            OptionSchema(
                                [
                                    OptionSpec("tumbling", .string, description: "a duration: 1m, 30s, 500ms, 1h"),
                                    OptionSpec(
                                        "hopping",
                                        .object(
                                            OptionSchema([
                                                OptionSpec("size", .string, required: true), OptionSpec("advance", .string, required: true),
                                            ]))),
                                    OptionSpec(
                                        "session",
                                        .object(
                                            OptionSchema([
                                                OptionSpec(
                                                    "gap", .string, required: true,
                                                    description: "the most event time between a group's records of one session")
                                            ]))),
                                ], requiresOneOf: ["tumbling", "hopping", "session"])), required: true),
                    OptionSpec(
                        "allowed_lateness", .string, default: .string("0s"),
                        description: "how far behind the latest event time a record may be"),
                    OptionSpec(
                        "emit",
                        .object(
                            OptionSchema([
                                OptionSpec(
                                    "every", .string, required: true,
                                    description: "also write the open windows each time event time enters a new period this long")
                            ]))),
                    OptionSpec(
                        "aggregations", .plugin(.object), required: true,
                        description:
                            "name: { count: {} } | { sum|min|max|avg|first|last|count_distinct: field } | { percentile: field, q: 0.99 }"),
                ]),
            transform: { try AggregateTransform(options: $0) })
        registry.register(
            ComponentSpec.partitionState(
                type: "throttle", kind: .transform,
                summary: "at most N records per key per window of event time; the rest dropped or dead-lettered",
                options: [
                    OptionSpec("key", .stringList, description: "the fields that make a key (none: one key)"),
                    OptionSpec(
                        "threshold", .integer(1...Int64(Int32.max)), required: true, description: "records that pass per key and window"),
                    OptionSpec("window", .string, required: true, description: "a duration: 1s, 1m, 500ms"),
                    OptionSpec(
                        "timestamp_field", .string, description: "event time: epoch ms or RFC 3339 (default: the record's timestamp)"),
                    OptionSpec("on_excess", .oneOf(["drop", "dead_letter"]), default: .string("drop")),
                    OptionSpec(
                        "max_keys", .integer(1...100_000_000), default: .int(100_000),
                        description: "keys kept before those of past windows are forgotten"),
                ]),
            transform: { options in
                guard let window = AggregateDuration.milliseconds(options.string("window") ?? ""), window > 0 else {
                    throw options.invalid("window", "must be a duration such as 500ms, 10s, 1m, 2h or 1d")
                }
                return ThrottleTransform(
                    key: options.strings("key"), threshold: Int(options.int("threshold") ?? 1), window: window,
                    timestampField: options.string("timestamp_field"), deadLetter: options.string("on_excess") == "dead_letter",
                    maxKeys: Int(options.int("max_keys") ?? 100_000))
            })
    }
}

extension ComponentSpec {
    /// The spec of a transform that keeps state per input partition.
    static func partitionState(type: String, kind: ComponentKind, summary: String, options: [OptionSpec]) -> ComponentSpec {
        var spec = ComponentSpec(type: type, kind: kind, summary: summary, options: options)
        spec.keepsStatePerPartition = true
        return spec
    }
}

extension AggregateTransform {
    convenience init(options: ComponentOptions) throws {
        func duration(_ text: String?, _ option: String) throws -> Int64 {
            guard let text, let ms = AggregateDuration.milliseconds(text) else {
                throw options.invalid(option, "must be a duration such as 500ms, 10s, 1m, 2h or 1d, not '\(text ?? "")'")
            }
            return ms
        }
        let spec = options.object("window") ?? Fields()
        let window: AggregateWindow
        switch (spec["tumbling"], spec["hopping"] ?? spec["session"]) {
        case (nil, .object(let session)?) where spec["session"] != nil:
            let gapText: String? = if case .string(let s)? = session["gap"] { s } else { nil }
            let gap = try duration(gapText, "window")
            guard gap > 0 else { throw options.invalid("window", "a session's gap must be longer than 0") }
            window = .session(gap: gap)
        case (.string(let size)?, nil):
            let ms = try duration(size, "window")
            guard ms > 0 else { throw options.invalid("window", "tumbling must be longer than 0") }
            window = .tumbling(size: ms)
        case (nil, .object(let hopping)?):
            let sizeText: String? = if case .string(let s)? = hopping["size"] { s } else { nil }
            let advanceText: String? = if case .string(let s)? = hopping["advance"] { s } else { nil }
            let size = try duration(sizeText, "window")
            let advance = try duration(advanceText, "window")
            guard advance > 0, size >= advance, size % advance == 0 else {
                throw options.invalid("window", "hopping needs 0 < advance ≤ size, size a multiple of advance")
            }
            window = .hopping(size: size, advance: advance)
        default:
            throw options.invalid("window", "takes one of tumbling, hopping or session")
        }
        let lateness = try duration(options.string("allowed_lateness") ?? "0s", "allowed_lateness")
        guard let given = options.object("aggregations"), !given.isEmpty else {
            throw options.invalid("aggregations", "must name at least one: name: { count: {} } or { sum: field } …")
        }
        let kinds = Aggregation.Kind.allCases.map(\.rawValue)
        var aggregations: [Aggregation] = []
        for (name, value) in given {
            guard case .object(let body) = value, let (kindName, argument) = body.first(where: { $0.key != "q" }),
                let kind = Aggregation.Kind(rawValue: kindName),
                body.count == 1 || (kind == .percentile && body.count == 2 && body["q"] != nil)
            else {
                throw options.invalid(
                    "aggregations",
                    "'\(name)' must be one of \(kinds.joined(separator: ", ")) with its field, as { sum: bytes }, { count: {} } or { percentile: latency, q: 0.99 }"
                )
            }
            switch (kind, argument) {
            case (.count, _): aggregations.append(Aggregation(name: name, kind: .count, field: nil))
            case (.percentile, .string(let field)) where !field.isEmpty:
                guard let q = body["q"]?.number, (0...1).contains(q) else {
                    throw options.invalid(
                        "aggregations", "'\(name)': percentile needs q between 0 and 1, as { percentile: latency, q: 0.99 }")
                }
                aggregations.append(Aggregation(name: name, kind: .percentile, field: field, quantile: q))
            case (_, .string(let field)) where !field.isEmpty: aggregations.append(Aggregation(name: name, kind: kind, field: field))
            default: throw options.invalid("aggregations", "'\(name)': \(kindName) needs a field name, as { \(kindName): bytes }")
            }
        }
        var emitEvery: Int64? = nil
        if let emit = options.object("emit") {
            let text: String? = if case .string(let s)? = emit["every"] { s } else { nil }
            let every = try duration(text, "emit")
            guard every > 0 else { throw options.invalid("emit", "every must be longer than 0") }
            emitEvery = every
        }
        let groupBy = options.strings("group_by")
        let reserved = ["window_start", "window_end"] + (emitEvery == nil ? [] : ["final"])
        if let clash = aggregations.first(where: { groupBy.contains($0.name) || reserved.contains($0.name) }) {
            throw options.invalid("aggregations", "'\(clash.name)' is also a group_by field or \(reserved.joined(separator: "/"))")
        }
        if emitEvery != nil, groupBy.contains("final") {
            throw options.invalid("group_by", "'final' is the field emit: every writes")
        }
        self.init(
            groupBy: groupBy, timestampField: options.string("timestamp_field"), window: window, lateness: lateness,
            aggregations: aggregations, emitEvery: emitEvery)
    }
}
