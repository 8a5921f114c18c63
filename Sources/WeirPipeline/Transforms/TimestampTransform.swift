import Foundation
import Synchronization
import WeirValues

/// `timestamp`: parses a field with a date format into the record timestamp.
///
/// `format` is a Unicode date pattern (`yyyy-MM-dd HH:mm:ss,SSS`), or `unix` / `unix_ms`
/// for seconds / milliseconds since the epoch. Times without a zone are UTC; a year-less
/// format (syslog's `MMM d HH:mm:ss`) takes the current year.
final class TimestampTransform: RecordTransform {
    let field: String
    let format: String
    /// DateFormatter is not thread-safe; parses take this lock.
    private let formatter: Mutex<DateFormatter>

    init(field: String, format: String) {
        self.field = field
        self.format = format
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        formatter.defaultDate = Calendar(identifier: .gregorian).date(
            from: DateComponents(
                timeZone: TimeZone(identifier: "UTC"), year: Calendar(identifier: .gregorian).component(.year, from: Date()), month: 1,
                day: 1))
        self.formatter = Mutex(formatter)
    }

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for var record in batch {
            let value = record[field: field]
            var millis: Int64?
            switch (format, value) {
            case ("unix", .int(let seconds)?): millis = seconds.multipliedReportingOverflow(by: 1000).overflow ? nil : seconds * 1000
            case ("unix", .double(let seconds)?): millis = Self.millis(seconds)
            case ("unix", .string(let text)?): millis = Double(text).flatMap(Self.millis)
            case ("unix_ms", .int(let ms)?): millis = ms
            case ("unix_ms", .string(let text)?): millis = Int64(text)
            case (_, .string(let text)?):
                millis = formatter.withLock { $0.date(from: text) }.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
            default: break
            }
            guard let millis else {
                result.fail(record, "timestamp: '\(field)' does not match the format '\(format)'")
                continue
            }
            record.timestamp = millis
            result.emit(record)
        }
        return result
    }

    /// Seconds to milliseconds, or nil for NaN, infinities and values beyond Int64.
    static func millis(_ seconds: Double) -> Int64? {
        Int64(exactly: (seconds * 1000).rounded(.towardZero))
    }
}
