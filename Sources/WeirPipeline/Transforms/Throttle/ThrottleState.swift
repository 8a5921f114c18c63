import WeirValues

/// `throttle`'s state of one partition: per key, its current window and how many records
/// passed in it.
struct ThrottleState: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var start: Int64
        var count: Int
    }

    var counts: [[Value]: Entry] = [:]
    /// The latest window started: keys in an earlier one can be forgotten.
    var latestStart = Int64.min

    /// "THS1", the latest start (8), the key count (4), then per key its JSON (length 4,
    /// bytes), window start (8) and count (8). Little endian.
    func encoded() -> [UInt8] {
        var out = Array("THS1".utf8)
        out.reserveCapacity(16 + counts.count * 48)
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(bitPattern: latestStart))
        withUnsafeBytes(of: UInt32(counts.count).littleEndian) { out.append(contentsOf: $0) }
        for (key, entry) in counts {
            let json = Array(Value.array(key).jsonText().utf8)
            withUnsafeBytes(of: UInt32(json.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: json)
            put(UInt64(bitPattern: entry.start))
            put(UInt64(entry.count))
        }
        return out
    }

    struct Damaged: Error, CustomStringConvertible {
        var description: String
    }

    init() {}

    init(decoding bytes: [UInt8]) throws {
        var at = 0
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard at + count <= bytes.count else { throw Damaged(description: "throttle state cut short at byte \(at)") }
            defer { at += count }
            return bytes[at..<at + count]
        }
        func u64() throws -> UInt64 { try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func u32() throws -> Int { Int(try take(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        guard Array(try take(4)) == Array("THS1".utf8) else { throw Damaged(description: "not a throttle state") }
        latestStart = Int64(bitPattern: try u64())
        for _ in 0..<(try u32()) {
            let json = try take(try u32())
            guard case .array(let key) = try json.withUnsafeBytes({ try JSONValueParser.parse($0) }) else {
                throw Damaged(description: "a throttle key is not an array")
            }
            counts[key] = Entry(start: Int64(bitPattern: try u64()), count: Int(try u64()))
        }
        guard at == bytes.count else { throw Damaged(description: "bytes after the throttle state") }
    }
}
