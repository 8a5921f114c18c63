/// Calendar arithmetic for the log-format parsers: dates to milliseconds since the epoch
/// and back, by Howard Hinnant's days-from-civil algorithm. Pure and per line cheap,
/// where DateFormatter costs microseconds and a lock, and `timegm` needs a `tm`.
package enum CivilTime {
    /// Days from 1970-01-01 to the given proleptic Gregorian date.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Milliseconds since the epoch of a UTC date and time.
    static func millis(year: Int, month: Int, day: Int, second: Int, millis: Int) -> Int64 {
        Int64(days(year: year, month: month, day: day)) * 86_400_000 + Int64(second) * 1000 + Int64(millis)
    }

    /// The times `rfc3339` can write: years 0000 to 9999.
    static let writable: ClosedRange<Int64> =
        millis(year: 0, month: 1, day: 1, second: 0, millis: 0)...(millis(year: 10000, month: 1, day: 1, second: 0, millis: 0) - 1)

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The month of a three-letter English abbreviation, as logs write it (`Jan`).
    static func month(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        switch (a, b, c) {
        case (0x4A, 0x61, 0x6E): 1  // Jan
        case (0x46, 0x65, 0x62): 2  // Feb
        case (0x4D, 0x61, 0x72): 3  // Mar
        case (0x41, 0x70, 0x72): 4  // Apr
        case (0x4D, 0x61, 0x79): 5  // May
        case (0x4A, 0x75, 0x6E): 6  // Jun
        case (0x4A, 0x75, 0x6C): 7  // Jul
        case (0x41, 0x75, 0x67): 8  // Aug
        case (0x53, 0x65, 0x70): 9  // Sep
        case (0x4F, 0x63, 0x74): 10  // Oct
        case (0x4E, 0x6F, 0x76): 11  // Nov
        case (0x44, 0x65, 0x63): 12  // Dec
        default: nil
        }
    }

    /// The year, month and day of a count of days from 1970-01-01.
    package static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// RFC 3339 in UTC with milliseconds (`2026-12-04T10:00:00.123Z`), written as bytes:
    /// the form every parser gives its `timestamp` field, whatever the log wrote.
    static func rfc3339(_ millis: Int64) -> ArraySlice<UInt8> {
        let (days, inDay) = millis.quotientAndRemainder(dividingBy: 86_400_000)
        let (day, msOfDay) = inDay < 0 ? (Int(days) - 1, Int(inDay) + 86_400_000) : (Int(days), Int(inDay))
        let date = civil(days: day)
        let year = date.year
        let (hour, minute, second) = (msOfDay / 3_600_000, msOfDay / 60_000 % 60, msOfDay / 1000 % 60)
        let fraction = msOfDay % 1000
        return [
            digit(year / 1000), digit(year / 100), digit(year / 10), digit(year), UInt8(ascii: "-"), digit(date.month / 10),
            digit(date.month),
            UInt8(ascii: "-"), digit(date.day / 10), digit(date.day), UInt8(ascii: "T"), digit(hour / 10), digit(hour), UInt8(ascii: ":"),
            digit(minute / 10),
            digit(minute), UInt8(ascii: ":"), digit(second / 10), digit(second), UInt8(ascii: "."), digit(fraction / 100),
            digit(fraction / 10), digit(fraction), UInt8(ascii: "Z"),
        ][...]
    }

    /// The last decimal digit of `value` as ASCII.
    private static func digit(_ value: Int) -> UInt8 { UInt8(truncatingIfNeeded: 48 + value % 10) }
}
