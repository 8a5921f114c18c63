import NIOCore

/// Unix milliseconds written as `PostgresColumn.iso8601(millis:)` writes them, straight
/// into a `COPY` buffer: the date worked out by arithmetic (Howard Hinnant's
/// `civil_from_days`, the proleptic Gregorian calendar `gmtime_r` uses) instead of a
/// `gmtime_r` call and a `String` per value.
enum PostgresTimeText {
    /// Writes `millis` as `YYYY-MM-DDTHH:MM:SS.mmmZ`; a year outside 0...9999 goes by
    /// `PostgresColumn.iso8601(millis:)`.
    static func write(millis: Int64, into buffer: inout ByteBuffer) {
        let (seconds, remainder) = floorDivision(millis, 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civil(days: days)
        guard (0...9999).contains(year) else {
            var text = PostgresColumn.iso8601(millis: millis)
            _ = text.withUTF8 { buffer.writeBytes($0) }
            return
        }
        let (hour, minuteAndSecond) = secondOfDay.quotientAndRemainder(dividingBy: 3600)
        let (minute, second) = minuteAndSecond.quotientAndRemainder(dividingBy: 60)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { room in
            var at = 0
            func put(_ value: Int64, digits: Int, then separator: UInt8) {
                var rest = value
                for position in stride(from: at + digits - 1, through: at, by: -1) {
                    room[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                    rest /= 10
                }
                room[at + digits] = separator
                at += digits + 1
            }
            put(year, digits: 4, then: UInt8(ascii: "-"))
            put(month, digits: 2, then: UInt8(ascii: "-"))
            put(day, digits: 2, then: UInt8(ascii: "T"))
            put(hour, digits: 2, then: UInt8(ascii: ":"))
            put(minute, digits: 2, then: UInt8(ascii: ":"))
            put(second, digits: 2, then: UInt8(ascii: "."))
            put(remainder, digits: 3, then: UInt8(ascii: "Z"))
            return at
        }
    }

    /// The quotient rounded down and the remainder that goes with it (never negative).
    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// Year, month and day of `days` after 1970-01-01.
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
