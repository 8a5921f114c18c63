/// The bucket counts of one side of a DDSketch: a contiguous array of counts for the keys
/// `offset ..< offset + counts.count`, exactly as wide as the lowest and highest non-empty
/// buckets (so equal contents are equal values and encode alike).
///
/// At most `maxBucketCount` buckets: when a new key would widen the range past that, the
/// lowest buckets are merged into the lowest kept one (the "collapsing lowest" store of the
/// DDSketch paper). The result depends only on the keys added, not their order: every key
/// below `highest key − maxBucketCount + 1` ends in that bucket.
struct DDSketchStore: Sendable, Equatable {
    private(set) var offset = 0
    private(set) var counts: [UInt64] = []

    init() {}

    init(offset: Int, counts: [UInt64]) {
        self.offset = offset
        self.counts = counts
    }

    var isEmpty: Bool { counts.isEmpty }

    /// The sum of the counts.
    var total: UInt64 { counts.reduce(0, &+) }

    @inline(__always)
    mutating func add(key: Int, count: UInt64 = 1, maxBucketCount: Int) {
        let index = key &- offset
        if index >= 0, index < counts.count {
            counts[index] &+= count
        } else {
            addOutside(key: key, count: count, maxBucketCount: maxBucketCount)
        }
    }

    /// A key outside the current range: widen it (collapsing the lowest buckets if needed).
    private mutating func addOutside(key: Int, count: UInt64, maxBucketCount: Int) {
        guard !counts.isEmpty else {
            offset = key
            counts = [count]
            return
        }
        let highest = offset + counts.count - 1
        if key < offset {
            let target = max(key, highest - maxBucketCount + 1)
            if target < offset {
                counts.insert(contentsOf: repeatElement(0, count: offset - target), at: 0)
                offset = target
            }
            counts[target - offset] &+= count
            return
        }
        let lowest = max(offset, key - maxBucketCount + 1)
        if lowest == offset {
            counts.append(contentsOf: repeatElement(0, count: key - highest))
            counts[key - offset] &+= count
            return
        }
        var widened = [UInt64](repeating: 0, count: key - lowest + 1)
        for (index, bucket) in counts.enumerated() {
            widened[max(offset + index, lowest) - lowest] &+= bucket
        }
        widened[key - lowest] &+= count
        offset = lowest
        counts = widened
    }

    /// Adds another store's counts; the highest and lowest buckets go first, so the range
    /// is widened at most twice.
    mutating func merge(_ other: DDSketchStore, maxBucketCount: Int) {
        guard let last = other.counts.indices.last else { return }
        add(key: other.offset + last, count: other.counts[last], maxBucketCount: maxBucketCount)
        guard last > 0 else { return }
        add(key: other.offset, count: other.counts[0], maxBucketCount: maxBucketCount)
        for index in 1..<last where other.counts[index] > 0 {
            add(key: other.offset + index, count: other.counts[index], maxBucketCount: maxBucketCount)
        }
    }
}
