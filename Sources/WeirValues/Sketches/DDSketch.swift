import Foundation

/// A DDSketch (Masson, Rim and Lee, VLDB 2019): quantiles of a stream (`percentile`) with
/// a relative-error guarantee, mergeable, and restored exactly from a checkpoint.
///
/// Why DDSketch rather than a t-digest: its state is a function of the multiset of values
/// added, whatever their order or how partial sketches were merged — a t-digest's centroids
/// depend on the order of insertion and merging, so a run restored from a checkpoint could
/// answer differently from an uninterrupted one. Its error bound is relative to the value
/// (what latency percentiles want) and holds at every quantile; adding is one logarithm and
/// an array increment.
///
/// A value x > 0 goes to bucket ⌈log_γ x⌉ with γ = (1 + α)/(1 − α), α the relative
/// accuracy; a bucket answers 2γ^i/(γ + 1), within α of every value it holds. Negative
/// values are kept the same way by magnitude in a second store (keyed by the negated
/// index, so both stores run from low values to high); values whose magnitude is below
/// the smallest normal double (times γ) count as zero. NaN and infinities are refused.
///
/// **Bounded size**: each store keeps at most `maxBucketCount` buckets (default 2048,
/// 16 KiB of counts; at α = 1% that spans a factor of 10^17 between the smallest and the
/// largest value kept exactly). Beyond it the *lowest* buckets collapse into the lowest
/// kept one: the positive store loses accuracy on its smallest values, the negative store
/// on its most negative ones — the low quantiles degrade first, never the high ones that
/// latency percentiles ask for. The exact minimum and maximum are kept and clamp answers.
public struct DDSketch: Sendable, Equatable {
    /// α: a quantile's answer is within α·|exact| of the exact one.
    public let relativeAccuracy: Double
    /// The most buckets each store (positive, negative) keeps.
    public let maxBucketCount: Int
    let gamma: Double
    let inverseLogGamma: Double
    /// Magnitudes below this count as zero (their logarithm would be unbounded).
    let zeroThreshold: Double
    var positive = DDSketchStore()
    /// Negative values by magnitude, keyed by the negated bucket index.
    var negative = DDSketchStore()
    public private(set) var zeroCount = 0
    /// The number of values added.
    public private(set) var count = 0
    private var minimumValue = Double.infinity
    private var maximumValue = -Double.infinity

    public static let accuracyRange = 0.0001...0.5
    public static let bucketCountRange = 16...65_536

    public init(relativeAccuracy: Double = 0.01, maxBucketCount: Int = 2048) {
        precondition(Self.accuracyRange.contains(relativeAccuracy), "DDSketch accuracy outside 0.0001...0.5")
        precondition(Self.bucketCountRange.contains(maxBucketCount), "DDSketch bucket count outside 16...65536")
        self.relativeAccuracy = relativeAccuracy
        self.maxBucketCount = maxBucketCount
        gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
        inverseLogGamma = 1 / log(gamma)
        zeroThreshold = Double.leastNormalMagnitude * gamma
    }

    /// The smallest value added, or nil when empty.
    public var minimum: Double? { count > 0 ? minimumValue : nil }
    /// The largest value added, or nil when empty.
    public var maximum: Double? { count > 0 ? maximumValue : nil }

    /// Adds a value; false (and nothing added) for NaN or an infinity.
    @discardableResult
    public mutating func add(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        let value = value == 0 ? 0 : value
        if value > zeroThreshold {
            positive.add(key: index(value), maxBucketCount: maxBucketCount)
        } else if value < -zeroThreshold {
            negative.add(key: -index(-value), maxBucketCount: maxBucketCount)
        } else {
            zeroCount += 1
        }
        count += 1
        if value < minimumValue { minimumValue = value }
        if value > maximumValue { maximumValue = value }
        return true
    }

    /// Adds everything `other` holds: afterwards the sketch equals one given both streams.
    /// Both must have the same accuracy and bucket bound.
    public mutating func merge(_ other: DDSketch) {
        precondition(
            relativeAccuracy == other.relativeAccuracy && maxBucketCount == other.maxBucketCount,
            "merging DDSketches of different parameters")
        positive.merge(other.positive, maxBucketCount: maxBucketCount)
        negative.merge(other.negative, maxBucketCount: maxBucketCount)
        zeroCount += other.zeroCount
        count += other.count
        minimumValue = min(minimumValue, other.minimumValue)
        maximumValue = max(maximumValue, other.maximumValue)
    }

    /// The value at quantile `q` (0 the minimum, 0.5 the median, 1 the maximum): the
    /// bucket holding the value of rank ⌊q·(count − 1)⌋ in sorted order, answered within
    /// the relative accuracy (the extremes exactly). nil when empty or `q` is outside 0...1.
    public func quantile(_ q: Double) -> Double? {
        guard count > 0, q >= 0, q <= 1 else { return nil }
        let rank = q * Double(count - 1)
        if rank < 1 { return minimumValue }
        if rank >= Double(count - 1) { return maximumValue }
        var cumulative: UInt64 = 0
        for (position, bucket) in negative.counts.enumerated() where bucket > 0 {
            cumulative += bucket
            if Double(cumulative) > rank { return clamped(-value(ofIndex: -(negative.offset + position))) }
        }
        cumulative += UInt64(zeroCount)
        if Double(cumulative) > rank { return clamped(0) }
        for (position, bucket) in positive.counts.enumerated() where bucket > 0 {
            cumulative += bucket
            if Double(cumulative) > rank { return clamped(value(ofIndex: positive.offset + position)) }
        }
        return maximumValue
    }

    func index(_ magnitude: Double) -> Int {
        Int((log(magnitude) * inverseLogGamma).rounded(.up))
    }

    func value(ofIndex index: Int) -> Double {
        2 * pow(gamma, Double(index)) / (gamma + 1)
    }

    private func clamped(_ value: Double) -> Double {
        Swift.min(Swift.max(value, minimumValue), maximumValue)
    }

    init(
        relativeAccuracy: Double, maxBucketCount: Int, positive: DDSketchStore, negative: DDSketchStore,
        zeroCount: Int, count: Int, minimum: Double, maximum: Double
    ) {
        self.init(relativeAccuracy: relativeAccuracy, maxBucketCount: maxBucketCount)
        self.positive = positive
        self.negative = negative
        self.zeroCount = zeroCount
        self.count = count
        minimumValue = minimum
        maximumValue = maximum
    }
}
