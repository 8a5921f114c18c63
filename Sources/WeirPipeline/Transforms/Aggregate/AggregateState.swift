import WeirValues

/// What `aggregate` holds for one input partition: the windows still open, each group's
/// accumulators in them, and the latest event time seen (the watermark's source).
struct AggregateState: Sendable, Equatable {
    struct WindowKey: Hashable, Sendable {
        var start: Int64
        var group: [Value]
    }

    /// The latest event time seen; nil before the first record.
    var maxEventTime: Int64?
    var windows: [WindowKey: [Accumulator]] = [:]
    /// The earliest end of an open window: nothing closes before the watermark reaches it.
    var nextClose: Int64 = .max
    /// Session windows only: each open session's latest event time (its start is its key's).
    var sessionEnds: [WindowKey: Int64] = [:]
    /// Session windows only: the starts of each group's open sessions, ascending (derived
    /// from `windows`, not written to the checkpoint).
    var sessionStarts: [[Value]: [Int64]] = [:]

    var isEmpty: Bool { maxEventTime == nil && windows.isEmpty }

    static func == (a: AggregateState, b: AggregateState) -> Bool {
        a.maxEventTime == b.maxEventTime && a.windows == b.windows && a.nextClose == b.nextClose && a.sessionEnds == b.sessionEnds
    }
}

/// The checkpoint form of `AggregateState`, written at every commit, so compact and quick:
/// "AGS1" ("AGSS" for session windows), the latest event time (a flag byte, then 8 bytes),
/// the window count (4), then per window its start (8), a session's end (8, "AGSS" only), its group as a JSON array (length 4, bytes), and per
/// aggregation: count, integer sum (8 each), sum (8, IEEE 754), all-integers (1), the
/// kept value as JSON, the HyperLogLog's and the DDSketch's bytes (each a length of 4
/// bytes, 0xFFFFFFFF for none, then the bytes). Little endian.
extension AggregateState {
    private static let magic = Array("AGS1".utf8)
    private static let sessionMagic = Array("AGSS".utf8)

    func encoded(sessions: Bool = false) -> [UInt8] {
        var out = sessions ? Self.sessionMagic : Self.magic
        out.reserveCapacity(16 + windows.count * 96)
        out.append(maxEventTime == nil ? 0 : 1)
        Self.put(UInt64(bitPattern: maxEventTime ?? 0), into: &out)
        Self.put32(UInt32(windows.count), into: &out)
        for (key, accumulators) in windows {
            Self.put(UInt64(bitPattern: key.start), into: &out)
            if sessions { Self.put(UInt64(bitPattern: sessionEnds[key] ?? key.start), into: &out) }
            Self.putJSON(.array(key.group), into: &out)
            for accumulator in accumulators {
                Self.put(UInt64(bitPattern: accumulator.count), into: &out)
                Self.put(UInt64(bitPattern: accumulator.intSum), into: &out)
                Self.put(accumulator.doubleSum.bitPattern, into: &out)
                out.append(accumulator.allIntegers ? 1 : 0)
                if let value = accumulator.value { Self.putJSON(value, into: &out) } else { Self.put32(.max, into: &out) }
                Self.putBytes(accumulator.distinct?.encoded(), into: &out)
                Self.putBytes(accumulator.sketch?.encoded(), into: &out)
            }
        }
        return out
    }

    /// `sessionGap`: the state is of session windows with that gap (else of fixed windows
    /// `size` long).
    init(decoding bytes: [UInt8], size: Int64, sessionGap: Int64? = nil, aggregations: Int) throws {
        var reader = Reader(bytes: bytes)
        let magic = Array(try reader.take(4))
        guard magic == (sessionGap == nil ? Self.magic : Self.sessionMagic) else {
            throw Reader.Damaged(
                reason: magic == Self.magic || magic == Self.sessionMagic
                    ? "written for \(magic == Self.magic ? "fixed" : "session") windows, the transform now has \(sessionGap == nil ? "fixed" : "session") ones"
                    : "not an aggregate state")
        }
        let hasTime = try reader.take(1).first == 1
        let time = Int64(bitPattern: try reader.u64())
        maxEventTime = hasTime ? time : nil
        let count = Int(try reader.u32())
        windows.reserveCapacity(count)
        for _ in 0..<count {
            let start = Int64(bitPattern: try reader.u64())
            let end = sessionGap == nil ? nil : Int64(bitPattern: try reader.u64())
            guard case .array(let group) = try reader.json() else { throw Reader.Damaged(reason: "a window's group is not an array") }
            var accumulators: [Accumulator] = []
            accumulators.reserveCapacity(aggregations)
            for _ in 0..<aggregations {
                var accumulator = Accumulator()
                accumulator.count = Int64(bitPattern: try reader.u64())
                accumulator.intSum = Int64(bitPattern: try reader.u64())
                accumulator.doubleSum = Double(bitPattern: try reader.u64())
                accumulator.allIntegers = try reader.take(1).first == 1
                accumulator.value = try reader.optionalJSON()
                accumulator.distinct = try reader.optionalBytes().map { try HyperLogLog(decoding: $0) }
                accumulator.sketch = try reader.optionalBytes().map { try DDSketch(decoding: $0) }
                accumulators.append(accumulator)
            }
            let key = WindowKey(start: start, group: group)
            windows[key] = accumulators
            if let end, let sessionGap {
                sessionEnds[key] = end
                sessionStarts[group, default: []].append(start)
                nextClose = min(nextClose, end + sessionGap + 1)
            } else {
                nextClose = min(nextClose, start + size)
            }
        }
        for group in sessionStarts.keys { sessionStarts[group]?.sort() }
        guard reader.at == bytes.count else { throw Reader.Damaged(reason: "bytes after the last window") }
    }

    private static func put(_ value: UInt64, into out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func put32(_ value: UInt32, into out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Bytes after their length (0xFFFFFFFF for none).
    private static func putBytes(_ bytes: [UInt8]?, into out: inout [UInt8]) {
        guard let bytes else { return put32(.max, into: &out) }
        put32(UInt32(bytes.count), into: &out)
        out.append(contentsOf: bytes)
    }

    /// The value's JSON after its length.
    private static func putJSON(_ value: Value, into out: inout [UInt8]) {
        let lengthAt = out.count
        put32(0, into: &out)
        value.writeJSON(into: &out)
        let length = UInt32(out.count - lengthAt - 4).littleEndian
        withUnsafeBytes(of: length) { for (i, byte) in $0.enumerated() { out[lengthAt + i] = byte } }
    }

    private struct Reader {
        struct Damaged: Error, CustomStringConvertible {
            var reason: String
            var description: String { "aggregate state: \(reason)" }
        }

        let bytes: [UInt8]
        var at = 0

        mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, at + count <= bytes.count else { throw Damaged(reason: "cut short at byte \(at)") }
            defer { at += count }
            return bytes[at..<at + count]
        }

        mutating func u64() throws -> UInt64 { try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        mutating func u32() throws -> UInt32 { try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }

        mutating func json() throws -> Value {
            guard let value = try optionalJSON() else { throw Damaged(reason: "a value is missing at byte \(at)") }
            return value
        }

        mutating func optionalBytes() throws -> ArraySlice<UInt8>? {
            let length = try u32()
            return length == .max ? nil : try take(Int(length))
        }

        mutating func optionalJSON() throws -> Value? {
            let length = try u32()
            if length == .max { return nil }
            let text = try take(Int(length))
            return try text.withUnsafeBytes { try JSONValueParser.parse($0) }
        }
    }
}
