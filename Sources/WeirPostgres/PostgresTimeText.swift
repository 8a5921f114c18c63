import NIOCore
import WeirPipeline

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
        let (civilYear, civilMonth, civilDay) = CivilTime.civil(days: Int(days))
        let (year, month, day) = (Int64(civilYear), Int64(civilMonth), Int64(civilDay))
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
}
