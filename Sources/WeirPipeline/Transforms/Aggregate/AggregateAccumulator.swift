import WeirValues

/// One aggregation of `aggregate`: its output field and what it computes.
struct Aggregation: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case count, sum, min, max, avg, first, last
        case countDistinct = "count_distinct"
        case percentile
    }

    var name: String
    var kind: Kind
    /// The field it reads (none for `count`).
    var field: String?
    /// `percentile`'s quantile, 0…1.
    var quantile: Double = 0.5
}

/// The running value of one aggregation in one window and group. Records whose field is
/// missing or null are left out of it (`count` counts every record).
struct Accumulator: Sendable, Equatable {
    var count: Int64 = 0
    /// Sums: integers stay integers until a non-integer (or an overflow) comes.
    var intSum: Int64 = 0
    var doubleSum: Double = 0
    var allIntegers = true
    /// `min`, `max`, `first`, `last`.
    var value: Value?
    /// `count_distinct`: a HyperLogLog (precision 14: about 0.8% standard error; sparse,
    /// so a few bytes, while a group has few distinct values).
    var distinct: HyperLogLog?
    /// `percentile`: a DDSketch (1% relative accuracy).
    var sketch: DDSketch?

    /// Why `value` cannot go into `kind`, or nil once it has.
    mutating func add(_ value: Value?, as kind: Aggregation.Kind) -> String? {
        if let reason = refusal(of: value, as: kind) { return reason }
        take(value, as: kind)
        return nil
    }

    /// Why `value` cannot go into `kind` here (nil: it can), changing nothing.
    func refusal(of value: Value?, as kind: Aggregation.Kind) -> String? {
        guard let value, value != .null else { return nil }
        switch kind {
        case .count, .first, .last, .countDistinct: return nil
        case .sum, .avg:
            switch value {
            case .int, .double: return nil
            default: return "\(kind.rawValue) needs numbers, not \(value.typeName)"
            }
        case .min, .max:
            guard value.number != nil || value.isString else { return "\(kind.rawValue) needs numbers or strings, not \(value.typeName)" }
            if let current = self.value, Self.ordered(value, current) == nil {
                return "\(kind.rawValue) cannot compare \(value.typeName) with \(current.typeName)"
            }
            return nil
        case .percentile:
            guard let number = value.number, number.isFinite else { return "percentile needs finite numbers, not \(value.typeName)" }
            return nil
        }
    }

    /// Takes in `value`, which `refusal(of:as:)` passed.
    mutating func take(_ value: Value?, as kind: Aggregation.Kind) {
        if kind == .count {
            count += 1
            return
        }
        guard let value, value != .null else { return }
        count += 1
        switch kind {
        case .count: break
        case .sum, .avg:
            switch value {
            case .int(let n):
                let (sum, overflow) = intSum.addingReportingOverflow(n)
                if overflow { allIntegers = false } else { intSum = sum }
                doubleSum += Double(n)
            case .double(let x):
                allIntegers = false
                doubleSum += x
            default: break
            }
        case .min, .max:
            if let current = self.value {
                if kind == .min ? Self.ordered(value, current) == true : Self.ordered(current, value) == true { self.value = value }
            } else {
                self.value = value
            }
        case .first:
            if self.value == nil { self.value = value }
        case .last:
            self.value = value
        case .countDistinct:
            if distinct == nil { distinct = HyperLogLog() }
            distinct?.add(value)
        case .percentile:
            if let number = value.number {
                if sketch == nil { sketch = DDSketch() }
                _ = sketch?.add(number)
            }
        }
    }

    /// The aggregation's result; nil leaves the field out (no value came).
    func result(_ kind: Aggregation.Kind, quantile: Double = 0.5) -> Value? {
        switch kind {
        case .countDistinct: return .int(distinct?.estimate ?? 0)
        case .percentile: return sketch?.quantile(quantile).map(Value.double)
        case .count: return .int(count)
        case .sum: return count == 0 ? nil : allIntegers ? .int(intSum) : .double(doubleSum)
        case .avg: return count == 0 ? nil : .double(doubleSum / Double(count))
        case .min, .max, .first, .last: return value
        }
    }

    /// Whether `a` < `b`: numbers by value, strings by their UTF-8 bytes; nil across kinds.
    static func ordered(_ a: Value, _ b: Value) -> Bool? {
        if let x = a.number, let y = b.number { return x < y }
        if case .string(let s) = a, case .string(let t) = b { return s.utf8.lexicographicallyPrecedes(t.utf8) }
        return nil
    }
}

extension Value {
    fileprivate var isString: Bool {
        if case .string = self { return true }
        return false
    }
}
