/// A HyperLogLog sketch: the number of distinct values in a stream (`count_distinct`),
/// in a few KiB, mergeable, and restored exactly from a checkpoint.
///
/// Each value is hashed to 64 bits (`Value.sketchHash`: the same in every process); the
/// top `precision` bits choose one of 2^precision registers, which keeps the longest run
/// of leading zeros (+1) seen in the remaining bits. The standard error is
/// 1.04/√(2^precision): 0.81% at the default precision 14 (16,384 registers).
///
/// While small the sketch is *sparse* (as in Heule et al.'s HyperLogLog++): a sorted list
/// of 32-bit entries, each a 25-bit register index and its 6-bit value, so a group that
/// sees a handful of distinct values costs a few bytes rather than 16 KiB, and its
/// estimate is near exact (2^25 registers). Past 2^precision / 4 entries (when the list
/// would outgrow the dense registers' memory) it turns *dense*. The sparse entries carry
/// enough bits to compute the dense registers exactly, so the state — sparse or dense,
/// and its bytes — depends only on the set of values added: not on their order, their
/// multiplicity, or how sketches were merged.
public struct HyperLogLog: Sendable, Equatable {
    /// Bits of the hash that choose a register (4...18).
    public let precision: Int
    /// Sorted sparse entries (index << 6 | value); empty once dense.
    @usableFromInline var sparse: [UInt32]
    /// One byte per register once dense; empty while sparse.
    @usableFromInline var registers: [UInt8]

    /// The index bits of a sparse entry: fixed, and more than any dense precision.
    @usableFromInline static var sparsePrecision: Int { 25 }
    public static let precisionRange = 4...18

    /// An empty sketch; `precision` must lie in `precisionRange`.
    public init(precision: Int = 14) {
        precondition(Self.precisionRange.contains(precision), "HyperLogLog precision \(precision) outside 4...18")
        self.precision = precision
        self.sparse = []
        self.registers = []
    }

    init(precision: Int, sparse: [UInt32], registers: [UInt8]) {
        self.precision = precision
        self.sparse = sparse
        self.registers = registers
    }

    /// The number of dense registers (2^precision).
    public var registerCount: Int { 1 << precision }

    /// Whether the sketch still holds the sparse list.
    public var isSparse: Bool { registers.isEmpty }

    /// The most sparse entries kept before turning dense (the dense registers' bytes / 4).
    @usableFromInline var sparseLimit: Int { registerCount / 4 }

    /// Adds a string value given as its UTF-8 bytes (a field's text without a `String`):
    /// the same as `add(.string(...))` of those bytes.
    @inlinable
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        add(hash: Value.sketchHash(text: bytes))
    }

    /// Adds a value: its type counts, so `"1"` and `1` are two distinct values.
    public mutating func add(_ value: Value) {
        add(hash: value.sketchHash)
    }

    /// Adds a value by its 64-bit hash (from `Value.sketchHash` or `WyHash`; it must be
    /// the same across processes for a restored sketch to go on counting correctly).
    @inlinable
    public mutating func add(hash: UInt64) {
        if registers.isEmpty {
            insertSparse(Self.sparseEntry(hash))
        } else {
            let index = Int(truncatingIfNeeded: hash >> UInt64(64 - precision))
            let rank = UInt8(min((hash << UInt64(precision)).leadingZeroBitCount, 64 - precision) + 1)
            if registers[index] < rank { registers[index] = rank }
        }
    }

    /// Adds everything `other` counted: afterwards the sketch equals one that was given
    /// both streams. Both must have the same precision.
    public mutating func merge(_ other: HyperLogLog) {
        precondition(precision == other.precision, "merging HyperLogLogs of precisions \(precision) and \(other.precision)")
        if !other.registers.isEmpty {
            if registers.isEmpty { densify() }
            for index in registers.indices where registers[index] < other.registers[index] {
                registers[index] = other.registers[index]
            }
        } else if !registers.isEmpty {
            for entry in other.sparse { setDense(entry) }
        } else {
            sparse = Self.union(sparse, other.sparse)
            if sparse.count > sparseLimit { densify() }
        }
    }

    /// A sparse entry: the hash's top 25 bits and the rank (1...40) of the other 39.
    @inlinable
    static func sparseEntry(_ hash: UInt64) -> UInt32 {
        let index = UInt32(truncatingIfNeeded: hash >> UInt64(64 - sparsePrecision))
        let rank = min((hash << UInt64(sparsePrecision)).leadingZeroBitCount, 64 - sparsePrecision) + 1
        return index << 6 | UInt32(rank)
    }

    @inlinable
    mutating func insertSparse(_ entry: UInt32) {
        let key = entry >> 6
        var low = 0
        var high = sparse.count
        while low < high {
            let middle = (low + high) >> 1
            if sparse[middle] >> 6 < key { low = middle + 1 } else { high = middle }
        }
        if low < sparse.count, sparse[low] >> 6 == key {
            if sparse[low] < entry { sparse[low] = entry }
            return
        }
        sparse.insert(entry, at: low)
        if sparse.count > sparseLimit { densify() }
    }

    /// Turns the sparse list into registers: the registers it would have had if dense all along.
    @usableFromInline
    mutating func densify() {
        registers = [UInt8](repeating: 0, count: registerCount)
        for entry in sparse { setDense(entry) }
        sparse = []
    }

    /// Raises the dense register a sparse entry maps to. The entry's index bits below the
    /// dense index start the dense register's run of zeros; if they are all zero, the run
    /// continues into the bits the sparse rank counted.
    mutating func setDense(_ entry: UInt32) {
        let extraBits = Self.sparsePrecision - precision
        let sparseIndex = entry >> 6
        let index = Int(sparseIndex >> UInt32(extraBits))
        let extra = sparseIndex & ((1 << UInt32(extraBits)) - 1)
        let rank: Int
        if extra != 0 {
            rank = extra.leadingZeroBitCount - (32 - extraBits) + 1
        } else {
            rank = extraBits + Int(entry & 0x3F)
        }
        if registers[index] < UInt8(rank) { registers[index] = UInt8(rank) }
    }

    /// The sorted union of two sparse lists, keeping the larger rank of a shared index.
    static func union(_ left: [UInt32], _ right: [UInt32]) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(left.count + right.count)
        var i = 0
        var j = 0
        while i < left.count, j < right.count {
            let leftKey = left[i] >> 6
            let rightKey = right[j] >> 6
            if leftKey < rightKey {
                result.append(left[i])
                i += 1
            } else if rightKey < leftKey {
                result.append(right[j])
                j += 1
            } else {
                result.append(max(left[i], right[j]))
                i += 1
                j += 1
            }
        }
        result.append(contentsOf: left[i...])
        result.append(contentsOf: right[j...])
        return result
    }
}
