import Foundation

/// The cardinality estimate: Otmar Ertl's improved estimator ("New cardinality estimation
/// algorithms for HyperLogLog sketches", 2017; the one Redis uses since 5.0).
///
/// The textbook estimator needs a switch to linear counting below 2.5·m registers and an
/// empirical bias table (HyperLogLog++'s 200 points per precision) around that switch;
/// Ertl's estimator works from the histogram of register values and is unbiased over the
/// whole range without tables: its σ term is linear counting's correction for empty
/// registers, its τ term the correction for saturated ones. A sparse sketch is estimated
/// the same way as 2^25 registers, which is near exact for the few thousand values it holds.
extension HyperLogLog {
    /// The estimated number of distinct values added (0 for an empty sketch).
    public var estimate: Int64 {
        let estimate: Double
        if registers.isEmpty {
            let bits = Self.sparsePrecision
            var histogram = [Int](repeating: 0, count: 64 - bits + 2)
            histogram[0] = (1 << bits) - sparse.count
            for entry in sparse { histogram[Int(entry & 0x3F)] += 1 }
            estimate = Self.ertlEstimate(histogram, registerCount: 1 << bits)
        } else {
            var histogram = [Int](repeating: 0, count: 64 - precision + 2)
            for register in registers { histogram[Int(register)] += 1 }
            estimate = Self.ertlEstimate(histogram, registerCount: registerCount)
        }
        return Int64(estimate.rounded())
    }

    /// Ertl's Algorithm 6 over `histogram[k]` = registers holding k (k = 0...q+1).
    static func ertlEstimate(_ histogram: [Int], registerCount: Int) -> Double {
        let m = Double(registerCount)
        let q = histogram.count - 2
        if histogram[0] == registerCount { return 0 }
        var z = m * tau(1 - Double(histogram[q + 1]) / m)
        for k in stride(from: q, through: 1, by: -1) {
            z = 0.5 * (z + Double(histogram[k]))
        }
        z += m * sigma(Double(histogram[0]) / m)
        return m * m / (2 * log(2.0)) / z
    }

    /// σ(x) = x + Σ x^(2^k)·2^(k-1), for the empty registers.
    static func sigma(_ value: Double) -> Double {
        if value == 1 { return .infinity }
        var x = value
        var y = 1.0
        var z = value
        while true {
            x *= x
            let previous = z
            z += x * y
            y += y
            if z == previous { return z }
        }
    }

    /// τ(x) = (1 - x - Σ (1 - x^(2^-k))²·2^-k) / 3, for the saturated registers.
    static func tau(_ value: Double) -> Double {
        if value == 0 || value == 1 { return 0 }
        var x = value
        var y = 1.0
        var z = 1 - value
        while true {
            x = x.squareRoot()
            let previous = z
            y *= 0.5
            z -= (1 - x) * (1 - x) * y
            if z == previous { return z / 3 }
        }
    }
}
