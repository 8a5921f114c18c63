/// The checkpointed form of a HyperLogLog, versioned and deterministic (the same state
/// always gives the same bytes):
///
///     version (1) · precision · kind (0 sparse, 1 dense) · body
///
/// - sparse: the entry count, then each entry as the varint delta from the one before
///   (sorted entries keep the deltas short: 4 bytes an entry for a handful, 3 near the
///   sparse limit);
/// - dense: the 2^precision registers packed six bits each (a register is at most
///   65 − precision), 12 KiB at precision 14.
///
/// Decoding checks everything the struct relies on — sorted distinct indexes, ranks in
/// range, the exact length — and throws `SketchDecodingError` otherwise.
extension HyperLogLog {
    static let formatVersion: UInt8 = 1

    public func encoded() -> [UInt8] {
        var writer = SketchByteWriter(reservingCapacity: registers.isEmpty ? 8 + sparse.count * 3 : 3 + registerCount * 3 / 4)
        writer.byte(Self.formatVersion)
        writer.byte(UInt8(precision))
        if registers.isEmpty {
            writer.byte(0)
            writer.varint(sparse.count)
            var previous: UInt32 = 0
            for entry in sparse {
                writer.varint(UInt64(entry - previous))
                previous = entry
            }
        } else {
            writer.byte(1)
            var accumulator: UInt32 = 0
            var bits = 0
            for register in registers {
                accumulator |= UInt32(register) << UInt32(bits)
                bits += 6
                while bits >= 8 {
                    writer.byte(UInt8(truncatingIfNeeded: accumulator))
                    accumulator >>= 8
                    bits -= 8
                }
            }
            if bits > 0 { writer.byte(UInt8(truncatingIfNeeded: accumulator)) }
        }
        return writer.bytes
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(SketchDecodingError) {
        var reader = SketchByteReader(bytes, sketch: "HyperLogLog")
        let version = try reader.byte()
        guard version == Self.formatVersion else { throw reader.failure("unknown format version \(version)") }
        let precision = Int(try reader.byte())
        guard Self.precisionRange.contains(precision) else { throw reader.failure("precision \(precision) outside 4...18") }
        var sketch = HyperLogLog(precision: precision)
        switch try reader.byte() {
        case 0:
            let count = try reader.count(in: 0...sketch.sparseLimit, "sparse entry count")
            var entries: [UInt32] = []
            entries.reserveCapacity(count)
            var previous: UInt64 = 0
            for position in 0..<count {
                let delta = try reader.varint()
                guard delta <= UInt64(UInt32.max), position == 0 || delta > 0 else {
                    throw reader.failure("sparse entries out of order")
                }
                let entry = previous + delta
                guard entry <= UInt64(UInt32.max >> 1) else { throw reader.failure("sparse entry out of range") }
                let rank = entry & 0x3F
                guard rank >= 1, rank <= UInt64(65 - Self.sparsePrecision) else {
                    throw reader.failure("sparse rank \(rank) out of range")
                }
                if position > 0, entry >> 6 == previous >> 6 { throw reader.failure("sparse index repeated") }
                entries.append(UInt32(entry))
                previous = entry
            }
            sketch.sparse = entries
        case 1:
            let count = sketch.registerCount
            var registers = [UInt8](repeating: 0, count: count)
            var accumulator: UInt32 = 0
            var bits = 0
            let maximum = UInt8(65 - precision)
            for index in 0..<count {
                if bits < 6 {
                    accumulator |= UInt32(try reader.byte()) << UInt32(bits)
                    bits += 8
                }
                let register = UInt8(accumulator & 0x3F)
                guard register <= maximum else { throw reader.failure("register \(index) holds \(register)") }
                registers[index] = register
                accumulator >>= 6
                bits -= 6
            }
            guard accumulator == 0 else { throw reader.failure("padding bits set") }
            sketch.registers = registers
        case let kind:
            throw reader.failure("unknown kind \(kind)")
        }
        try reader.expectEnd()
        self = sketch
    }
}
