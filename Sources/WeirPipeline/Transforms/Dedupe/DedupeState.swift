/// `dedupe`'s state of one partition: the keys kept, each with when it was last seen (a
/// sequence number: the order of the partition's records) and the event time of the
/// record of it that last passed, and the keys in the order they were last seen, to forget
/// the least recently seen one in O(1).
///
/// The order is a queue of (sequence, key) with an item appended each time a key is seen;
/// an item whose sequence is not its key's latest is stale and skipped when it reaches the
/// front. Stale items are swept out when they outnumber the keys, so the queue stays
/// within a constant factor of the keys and each record costs O(1) amortised.
struct DedupeState: Sendable {
    struct Entry: Sendable, Equatable {
        var lastSeen: UInt64
        var passedAt: Int64
    }

    struct Seen: Sendable {
        var sequence: UInt64
        var key: DedupeKey
    }

    private(set) var entries: [DedupeKey: Entry] = [:]
    private var order: [Seen] = []
    private var head = 0
    private var nextSequence: UInt64 = 0
    /// The newest event time seen (windowed dedupe only): a key that passed `window` or
    /// more before it is expired, as if it had not been seen.
    private(set) var newest = Int64.min

    init() {}

    var isEmpty: Bool { entries.isEmpty && newest == Int64.min }

    /// Sees `key` at event time `time`: the time its record passed when it is a duplicate,
    /// nil when this record passes. `window` nil: a kept key is a duplicate however old.
    /// Then forgets expired keys at the front of the order, and the least recently seen
    /// ones while more than `maxKeys` are kept. Everything depends only on the records
    /// seen, in order: never on how they were cut into batches.
    mutating func see(_ key: DedupeKey, at time: Int64, window: Int64?, maxKeys: Int) -> Int64? {
        let sequence = nextSequence
        nextSequence += 1
        if window != nil { newest = max(newest, time) }
        var duplicateOf: Int64?
        if let index = entries.index(forKey: key) {
            let stored = entries.keys[index]
            let passedAt = entries.values[index].passedAt
            entries.values[index].lastSeen = sequence
            if isLive(passedAt, window) {
                duplicateOf = passedAt
            } else {
                entries.values[index].passedAt = time
            }
            order.append(Seen(sequence: sequence, key: stored))
        } else {
            let stored = key.compacted
            entries[stored] = Entry(lastSeen: sequence, passedAt: time)
            order.append(Seen(sequence: sequence, key: stored))
        }
        forget(window: window, maxKeys: maxKeys)
        return duplicateOf
    }

    /// Passed less than `window` before the newest event time (no window: always).
    private func isLive(_ passedAt: Int64, _ window: Int64?) -> Bool {
        guard let window else { return true }
        let (end, overflow) = passedAt.addingReportingOverflow(window)
        return overflow || end > newest
    }

    private mutating func forget(window: Int64?, maxKeys: Int) {
        while head < order.count {
            let front = order[head]
            guard let entry = entries[front.key], entry.lastSeen == front.sequence else {
                head += 1  // stale
                continue
            }
            guard entries.count > maxKeys || !isLive(entry.passedAt, window) else { break }
            entries.removeValue(forKey: front.key)
            head += 1
        }
        if head >= 1024 && head * 2 >= order.count {
            order.removeFirst(head)
            head = 0
        } else if order.count - head > 2 * entries.count + 1024 {
            order = order[head...].filter { entries[$0.key]?.lastSeen == $0.sequence }
            head = 0
        }
    }

    /// The kept keys, least recently seen first, with the time each passed.
    var keysByRecency: [(key: DedupeKey, passedAt: Int64)] {
        order[head...].compactMap { seen in
            guard let entry = entries[seen.key], entry.lastSeen == seen.sequence else { return nil }
            return (seen.key, entry.passedAt)
        }
    }

    /// "DDS1", the newest event time (8), the key count (4), then per key, least recently
    /// seen first, the time it passed (8), its length (4) and its bytes. Little endian.
    /// Sequence numbers are not kept: only their order matters, and it is the keys' order.
    func encoded() -> [UInt8] {
        let keys = keysByRecency
        var out = Array("DDS1".utf8)
        out.reserveCapacity(16 + keys.reduce(0) { $0 + 12 + $1.key.bytes.count })
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        func put32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(bitPattern: newest))
        put32(keys.count)
        for (key, passedAt) in keys {
            put(UInt64(bitPattern: passedAt))
            put32(key.bytes.count)
            out.append(contentsOf: key.bytes)
        }
        return out
    }

    struct Damaged: Error, CustomStringConvertible {
        var description: String
    }

    init(decoding bytes: [UInt8]) throws {
        var at = 0
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count <= bytes.count - at else { throw Damaged(description: "dedupe state cut short at byte \(at) of \(bytes.count)") }
            defer { at += count }
            return bytes[at..<at + count]
        }
        func u64() throws -> UInt64 { try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func u32() throws -> Int { Int(try take(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        guard Array(try take(4)) == Array("DDS1".utf8) else { throw Damaged(description: "not a dedupe state (no DDS1 at its start)") }
        newest = Int64(bitPattern: try u64())
        let count = try u32()
        // Each key takes 12 bytes at least: a damaged count cannot reserve gigabytes.
        guard count <= (bytes.count - at) / 12 else {
            throw Damaged(description: "dedupe state claims \(count) keys in \(bytes.count - at) bytes")
        }
        entries.reserveCapacity(count)
        order.reserveCapacity(count)
        for _ in 0..<count {
            let passedAt = Int64(bitPattern: try u64())
            let key = DedupeKey(bytes: Array(try take(try u32())))
            guard entries[key] == nil else { throw Damaged(description: "dedupe state holds a key twice (byte \(at))") }
            entries[key] = Entry(lastSeen: nextSequence, passedAt: passedAt)
            order.append(Seen(sequence: nextSequence, key: key))
            nextSequence += 1
        }
        guard at == bytes.count else { throw Damaged(description: "\(bytes.count - at) bytes after the dedupe state") }
    }
}
