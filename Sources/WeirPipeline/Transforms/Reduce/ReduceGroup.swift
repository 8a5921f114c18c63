import WeirValues

/// One field of an open group, as merged so far.
enum ReduceSlot: Sendable, Equatable {
    /// The field was there, but only ever null (for the strategies that skip nulls).
    case null
    /// A string as UTF-8 bytes of the group's own: a concatenation grows them in place,
    /// and they never hold on to the batch a record was read from.
    case text([UInt8])
    case value(Value)

    var value: Value {
        switch self {
        case .null: .null
        case .text(let bytes): .string(String(decoding: bytes, as: UTF8.self))
        case .value(let value): value
        }
    }
}

/// An open group of `reduce`: its records merged so far, field by field, in the order the
/// fields first came.
struct ReduceGroup: Sendable, Equatable {
    /// The partition's sequence numbers of the group's first and last record: groups
    /// closed together come out by the first, the one evicted is the least recent by the last.
    var firstSequence: UInt64
    var lastSequence: UInt64
    /// The partition's event time when the group's last record came (for `timeout`).
    var lastSeen: Int64
    var count = 0
    /// The first record's timestamp and Kafka key, which the output record takes.
    var timestamp: Int64
    var recordKey: [UInt8]?
    var names: [String] = []
    var slots: [ReduceSlot] = []

    init(first record: PipelineRecord, sequence: UInt64, seen: Int64) {
        firstSequence = sequence
        lastSequence = sequence
        lastSeen = seen
        timestamp = record.timestamp
        recordKey = record.key
    }

    init(
        firstSequence: UInt64, lastSequence: UInt64, lastSeen: Int64, count: Int, timestamp: Int64, recordKey: [UInt8]?,
        names: [String], slots: [ReduceSlot]
    ) {
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.lastSeen = lastSeen
        self.count = count
        self.timestamp = timestamp
        self.recordKey = recordKey
        self.names = names
        self.slots = slots
    }

    /// Why `record` cannot be merged into `group` (nil: a new group), or nil when it can:
    /// checked before anything is merged, so a record goes in whole or fails whole.
    static func problem(_ record: PipelineRecord, joining group: ReduceGroup?, _ strategies: ReduceStrategies) -> String? {
        for (name, strategy) in strategies.checked where record.fields.index(forKey: name) != nil {
            if strategy.separator != nil, record.fields.asciiText(name) != nil { continue }
            let value = record.fields[name] ?? .null
            switch (strategy, value) {
            case (_, .null): continue
            case (.concatNewline, .string), (.concat, .string), (.concatRaw, .string): continue
            case (.concatNewline, _), (.concat, _), (.concatRaw, _):
                return "reduce: \(strategy.rawValue) of '\(name)' needs strings, not \(value.typeName)"
            case (.sum, _) where value.number == nil:
                return "reduce: sum of '\(name)' needs numbers, not \(value.typeName)"
            case (.min, _), (.max, _):
                guard value.number != nil || value.isText else {
                    return "reduce: \(strategy.rawValue) of '\(name)' needs numbers or strings, not \(value.typeName)"
                }
                if let group, let at = group.names.firstIndex(of: name), case let current = group.slots[at].value, current != .null,
                    Accumulator.ordered(value, current) == nil
                {
                    return "reduce: \(strategy.rawValue) of '\(name)' cannot compare \(value.typeName) with \(current.typeName)"
                }
            default: continue
            }
        }
        return nil
    }

    /// Merges `record` (which `problem` passed) field by field.
    mutating func merge(_ record: PipelineRecord, sequence: UInt64, seen: Int64, _ strategies: ReduceStrategies) {
        count += 1
        lastSequence = sequence
        lastSeen = seen
        // By name: reading every value would decode each text field into a String.
        for name in record.fields.keys {
            let strategy = strategies[name]
            let at = names.firstIndex(of: name)
            switch strategy {
            case .first:
                if at == nil { put(nil, name, Self.slot(record.fields, name)) }
            case .last:
                put(at, name, Self.slot(record.fields, name))
            case .concatNewline, .concat, .concatRaw:
                guard let bytes = record.utf8Bytes(name) else {
                    if at == nil { put(nil, name, .null) }
                    continue
                }
                if let at, case .text(var joined) = slots[at] {
                    slots[at] = .null  // the bytes are appended in place, not copied
                    joined.append(contentsOf: strategy.separator ?? [])
                    joined.append(contentsOf: bytes)
                    slots[at] = .text(joined)
                } else {
                    put(at, name, .text(Array(bytes)))
                }
            case .array:
                let value = record.fields[name] ?? .null
                if let at, case .value(.array(var items)) = slots[at] {
                    slots[at] = .null
                    items.append(value)
                    slots[at] = .value(.array(items))
                } else {
                    put(at, name, .value(.array([value])))
                }
            case .sum, .min, .max:
                let value = record.fields[name] ?? .null
                let current = at.map { slots[$0].value } ?? .null
                if value == .null {
                    if at == nil { put(nil, name, .null) }
                } else if current == .null {
                    put(at, name, .value(value))
                } else if strategy == .sum {
                    put(at, name, .value(Self.sum(current, value)))
                } else if let less = strategy == .min ? Accumulator.ordered(value, current) : Accumulator.ordered(current, value), less {
                    put(at, name, .value(value))
                }
            }
        }
    }

    /// The group's output record: its fields in the order they first came, then
    /// `reduce_count`; the first record's timestamp and key.
    func output() -> PipelineRecord {
        var fields = Fields(minimumCapacity: names.count + 1)
        for (name, slot) in zip(names, slots) {
            switch slot {
            case .null: fields.append(name, .null)
            case .text(let bytes): fields.appendText(name, bytes[...])
            case .value(let value): fields.append(name, value)
            }
        }
        fields.removeValue(forKey: "reduce_count")
        fields.append("reduce_count", .int(Int64(count)))
        return PipelineRecord(key: recordKey, timestamp: timestamp, fields: fields)
    }

    private mutating func put(_ at: Int?, _ name: String, _ slot: ReduceSlot) {
        if let at {
            slots[at] = slot
        } else {
            names.append(name)
            slots.append(slot)
        }
    }

    /// A field's value for `first` and `last`: ASCII text as bytes (no String made).
    private static func slot(_ fields: Fields, _ name: String) -> ReduceSlot {
        if let bytes = fields.asciiText(name) { return .text(Array(bytes)) }
        let value = fields[name] ?? .null
        return value == .null ? .null : .value(value)
    }

    /// Integers while the sum fits, else a number.
    private static func sum(_ a: Value, _ b: Value) -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            let (sum, overflow) = x.addingReportingOverflow(y)
            if !overflow { return .int(sum) }
        }
        return .double((a.number ?? 0) + (b.number ?? 0))
    }
}

extension Value {
    fileprivate var isText: Bool {
        if case .string = self { return true }
        return false
    }
}
