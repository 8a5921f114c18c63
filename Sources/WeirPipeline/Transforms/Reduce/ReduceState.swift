import WeirValues

/// `reduce`'s state of one partition: the open groups by key, the partition's event time
/// and its record count, and the keys by recency for `max_groups` and `timeout`.
struct ReduceState: Sendable, Equatable {
    var groups: [[Value]: ReduceGroup] = [:]
    /// The latest event time of the partition's records (only kept with a `timeout`).
    var eventTime = Int64.min
    /// The sequence number the next record of the partition takes.
    var nextSequence: UInt64 = 0
    /// Keys by the sequence of their group's last record, oldest from `head`: an entry
    /// whose sequence is not its group's last any more is stale and skipped. A group's
    /// `lastSeen` grows with its last sequence, so the front is also the group that
    /// waited longest in event time.
    private var recency: [(sequence: UInt64, key: [Value])] = []
    private var head = 0

    init() {}

    static func == (left: ReduceState, right: ReduceState) -> Bool {
        left.groups == right.groups && left.eventTime == right.eventTime && left.nextSequence == right.nextSequence
    }

    /// Notes that `key`'s group took its last record now.
    mutating func touched(_ key: [Value], sequence: UInt64) {
        recency.append((sequence, key))
        if recency.count > 4 * groups.count + 1024 { rebuildRecency() }
    }

    /// The open group whose last record is the oldest.
    mutating func leastRecent() -> (key: [Value], group: ReduceGroup)? {
        while head < recency.count {
            let (sequence, key) = recency[head]
            if let group = groups[key], group.lastSequence == sequence { return (key, group) }
            head += 1
        }
        return nil
    }

    /// The groups by their first record, oldest first, and none kept.
    mutating func removeAll() -> [ReduceGroup] {
        defer {
            groups = [:]
            rebuildRecency()
        }
        return groups.values.sorted { $0.firstSequence < $1.firstSequence }
    }

    /// Drops the stale entries (the queue grows by one per record otherwise).
    private mutating func rebuildRecency() {
        recency = groups.map { ($0.value.lastSequence, $0.key) }.sorted { $0.sequence < $1.sequence }
        head = 0
    }

    /// "RDS1", the event time (8), the next sequence (8), the group count (4), then per
    /// group by first record: its key as a JSON array (length 4, bytes), first and last
    /// sequence (8 each), last seen (8), record count (8), timestamp (8), Kafka key
    /// (length 4, 0xFFFFFFFF for none, bytes), field count (4), and per field its name
    /// (length 4, UTF-8) and value: a tag byte, 0 null, 1 text (length 4, UTF-8),
    /// 2 a value (length 4, JSON). Little endian.
    func encoded() -> [UInt8] {
        var out = Array("RDS1".utf8)
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        func bytes(_ bytes: some Collection<UInt8>) {
            put32(UInt32(bytes.count))
            out.append(contentsOf: bytes)
        }
        put(UInt64(bitPattern: eventTime))
        put(nextSequence)
        put32(UInt32(groups.count))
        for (key, group) in groups.sorted(by: { $0.value.firstSequence < $1.value.firstSequence }) {
            bytes(Array(Value.array(key).jsonText().utf8))
            put(group.firstSequence)
            put(group.lastSequence)
            put(UInt64(bitPattern: group.lastSeen))
            put(UInt64(group.count))
            put(UInt64(bitPattern: group.timestamp))
            if let recordKey = group.recordKey { bytes(recordKey) } else { put32(.max) }
            put32(UInt32(group.names.count))
            for (name, slot) in zip(group.names, group.slots) {
                bytes(Array(name.utf8))
                switch slot {
                case .null: out.append(0)
                case .text(let text):
                    out.append(1)
                    bytes(text)
                case .value(let value):
                    out.append(2)
                    bytes(Array(value.jsonText().utf8))
                }
            }
        }
        return out
    }

    struct Damaged: Error, CustomStringConvertible {
        var description: String
    }

    init(decoding bytes: [UInt8]) throws {
        var at = 0
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, count <= bytes.count - at else {
                throw Damaged(description: "reduce state cut short at byte \(at) (\(bytes.count) bytes, \(count) more wanted)")
            }
            defer { at += count }
            return bytes[at..<at + count]
        }
        func u64() throws -> UInt64 { try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func u32() throws -> UInt32 { try take(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        func json(_ what: String) throws -> Value {
            let start = at
            let text = try take(Int(try u32()))
            do {
                return try text.withUnsafeBytes { try JSONValueParser.parse($0) }
            } catch {
                throw Damaged(description: "reduce state: \(what) at byte \(start) is not JSON")
            }
        }
        guard Array(try take(4)) == Array("RDS1".utf8) else {
            throw Damaged(description: "not a reduce state (it does not start with RDS1)")
        }
        eventTime = Int64(bitPattern: try u64())
        nextSequence = try u64()
        for _ in 0..<(try u32()) {
            guard case .array(let key) = try json("a group key") else {
                throw Damaged(description: "reduce state: a group key is not an array")
            }
            var group = ReduceGroup(
                firstSequence: try u64(), lastSequence: try u64(), lastSeen: Int64(bitPattern: try u64()), count: Int(try u64()),
                timestamp: Int64(bitPattern: try u64()), recordKey: nil, names: [], slots: [])
            let keyLength = try u32()
            if keyLength != .max { group.recordKey = Array(try take(Int(keyLength))) }
            for _ in 0..<(try u32()) {
                group.names.append(String(decoding: try take(Int(try u32())), as: UTF8.self))
                let tagAt = at
                switch try take(1).first {
                case 0: group.slots.append(.null)
                case 1: group.slots.append(.text(Array(try take(Int(try u32())))))
                case 2: group.slots.append(.value(try json("the value of '\(group.names.last ?? "")'")))
                case let tag: throw Damaged(description: "reduce state: unknown value tag \(tag ?? 0) at byte \(tagAt)")
                }
            }
            guard group.lastSequence < nextSequence, group.firstSequence <= group.lastSequence, groups[key] == nil else {
                throw Damaged(description: "reduce state: group \(Value.array(key).jsonText()) is inconsistent")
            }
            groups[key] = group
        }
        guard at == bytes.count else { throw Damaged(description: "reduce state: \(bytes.count - at) bytes after its end") }
        rebuildRecency()
    }
}
