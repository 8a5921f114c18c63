/// A set of bytes as 256 bits: a membership test is a shift and a mask, for scanners
/// that stop at any of several separators.
struct ByteSet: Sendable, Equatable {
    private var low: (UInt64, UInt64) = (0, 0)
    private var high: (UInt64, UInt64) = (0, 0)

    init(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { insert(byte) }
    }

    var isEmpty: Bool { low == (0, 0) && high == (0, 0) }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: low.0 |= bit
        case 1: low.1 |= bit
        case 2: high.0 |= bit
        default: high.1 |= bit
        }
    }

    func contains(_ byte: UInt8) -> Bool {
        let word: UInt64
        switch byte >> 6 {
        case 0: word = low.0
        case 1: word = low.1
        case 2: word = high.0
        default: word = high.1
        }
        return word >> UInt64(byte & 63) & 1 == 1
    }

    static func == (left: ByteSet, right: ByteSet) -> Bool { left.low == right.low && left.high == right.high }
}
