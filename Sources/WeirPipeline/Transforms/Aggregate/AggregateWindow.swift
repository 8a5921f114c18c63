/// The windows of `aggregate`, over event time in milliseconds: `tumbling` (back to back,
/// each record in one) or `hopping` (`size` long, one starting every `advance`, a record
/// in `size / advance` of them), aligned to the epoch, as Kafka Streams aligns them, so
/// every member and every restart cuts the same windows; or `session` (a group's records
/// with no more than `gap` between them, as long as they keep coming: see
/// AggregateSessions.swift).
enum AggregateWindow: Equatable, Sendable {
    case tumbling(size: Int64)
    case hopping(size: Int64, advance: Int64)
    case session(gap: Int64)

    /// The length of a fixed window (a session's grows: its gap stands in).
    var size: Int64 {
        switch self {
        case .tumbling(let size), .hopping(let size, _): size
        case .session(let gap): gap
        }
    }

    private var advance: Int64 {
        switch self {
        case .tumbling(let size): size
        case .hopping(_, let advance): advance
        case .session(let gap): gap
        }
    }

    /// The starts of the windows holding `time`, earliest first.
    func starts(containing time: Int64) -> StrideThrough<Int64> {
        let last = Self.floor(time, advance)
        // The earliest start s with s + size > time, on the grid of `advance`.
        let first = Self.floor(time - size, advance) + advance
        return stride(from: first, through: last, by: Int(advance))
    }

    /// The end of the last window holding `time`.
    func lastEnd(containing time: Int64) -> Int64 { Self.floor(time, advance) + size }

    /// `value` rounded down to a multiple of `step` (also below zero).
    static func floor(_ value: Int64, _ step: Int64) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: step)
        return (remainder < 0 ? quotient - 1 : quotient) * step
    }
}

/// `500ms`, `10s`, `1m`, `5m`, `2h`, `1d` as milliseconds; nil for anything else.
enum AggregateDuration {
    static func milliseconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (unit, factor) in units where text.hasSuffix(unit) {
            guard let number = Int64(text.dropLast(unit.count)), number >= 0 else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        }
        return nil
    }
}
