/// Appends a sketch's encoded state: LEB128 varints (small counts and deltas take one
/// byte), zigzag for signed values, and fixed little-endian words for doubles, so the same
/// state always gives the same bytes on every platform.
struct SketchByteWriter {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 16) { bytes.reserveCapacity(capacity) }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func varint(_ value: Int) { varint(UInt64(value)) }

    /// Signed values as zigzag varints: -1 → 1, 1 → 2, so small magnitudes stay short.
    mutating func signedVarint(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func double(_ value: Double) {
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }
}
