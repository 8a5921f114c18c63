/// The checkpointed form of a DDSketch, versioned and deterministic:
///
///     version (1) · accuracy (8-byte double) · max bucket count · zero count ·
///     negative store · positive store · [minimum · maximum, when not empty]
///
/// A store is its bucket count, then (when not empty) its lowest key as a zigzag varint
/// and each count as a varint — about one or two bytes a bucket. The total count is the
/// sum of the parts, so it cannot disagree with them. Decoding checks the parameters'
/// ranges, the stores' width and trimmed ends, the sum, and the exact length, and throws
/// `SketchDecodingError` otherwise.
extension DDSketch {
    static let formatVersion: UInt8 = 1

    public func encoded() -> [UInt8] {
        var writer = SketchByteWriter(reservingCapacity: 32 + 2 * (positive.counts.count + negative.counts.count))
        writer.byte(Self.formatVersion)
        writer.double(relativeAccuracy)
        writer.varint(maxBucketCount)
        writer.varint(zeroCount)
        for store in [negative, positive] {
            writer.varint(store.counts.count)
            guard !store.isEmpty else { continue }
            writer.signedVarint(Int64(store.offset))
            for bucket in store.counts { writer.varint(bucket) }
        }
        if let minimum, let maximum {
            writer.double(minimum)
            writer.double(maximum)
        }
        return writer.bytes
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(SketchDecodingError) {
        var reader = SketchByteReader(bytes, sketch: "DDSketch")
        let version = try reader.byte()
        guard version == Self.formatVersion else { throw reader.failure("unknown format version \(version)") }
        let accuracy = try reader.double()
        guard Self.accuracyRange.contains(accuracy) else { throw reader.failure("relative accuracy \(accuracy) out of range") }
        let maxBucketCount = try reader.count(in: Self.bucketCountRange, "max bucket count")
        let zeroCount = try reader.count(in: 0...Int.max, "zero count")
        var total = UInt64(zeroCount)
        var stores: [DDSketchStore] = []
        for _ in 0..<2 {
            let width = try reader.count(in: 0...maxBucketCount, "bucket count")
            guard width > 0 else {
                stores.append(DDSketchStore())
                continue
            }
            let offset = try reader.signedVarint()
            guard abs(offset) <= 1 << 40 else { throw reader.failure("bucket key \(offset) out of range") }
            var counts: [UInt64] = []
            counts.reserveCapacity(width)
            for _ in 0..<width {
                let bucket = try reader.varint()
                let (sum, overflow) = total.addingReportingOverflow(bucket)
                guard !overflow, sum <= UInt64(Int.max) else { throw reader.failure("count overflows") }
                total = sum
                counts.append(bucket)
            }
            guard counts.first != 0, counts.last != 0 else { throw reader.failure("store not trimmed") }
            stores.append(DDSketchStore(offset: Int(offset), counts: counts))
        }
        var minimum = Double.infinity
        var maximum = -Double.infinity
        if total > 0 {
            minimum = try reader.double()
            maximum = try reader.double()
            guard minimum.isFinite, maximum.isFinite, minimum <= maximum else {
                throw reader.failure("minimum \(minimum) and maximum \(maximum) inconsistent")
            }
        }
        try reader.expectEnd()
        self.init(
            relativeAccuracy: accuracy, maxBucketCount: maxBucketCount, positive: stores[1], negative: stores[0],
            zeroCount: zeroCount, count: Int(total), minimum: minimum, maximum: maximum)
    }
}
