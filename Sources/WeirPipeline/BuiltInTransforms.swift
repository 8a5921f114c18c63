import Foundation
import Synchronization

/// `filter`: keeps the records for which the condition holds.
struct FilterTransform: RecordTransform {
    let condition: Expression

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for record in batch {
            do {
                if try condition.matches(record.fields) { result.emit(record) }
            } catch {
                result.fail(record, "condition: \(error.message)")
            }
        }
        return result
    }
}

/// A transform that parses one string field into fields merged over the record's own:
/// `parse_regex`, `parse_json`, `parse_logfmt`. Each says only how to parse; the loop,
/// the merge and the failures are shared.
protocol FieldParser: RecordTransform {
    var field: String { get }
    /// The reason for a record whose field is missing or not a string.
    var notAString: String { get }
    /// The parsed fields, or the reason the text does not parse.
    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure>
}

struct ParseFailure: Error {
    let reason: String
}

extension FieldParser {
    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for var record in batch {
            guard case .string(let text) = record[field: field] else {
                result.fail(record, notAString)
                continue
            }
            switch parse(text) {
            case .success(let fields):
                record.merge(fields)
                result.emit(record)
            case .failure(let failure):
                result.fail(record, failure.reason)
            }
        }
        return result
    }
}

/// `parse_regex`: the named captures of the pattern become string fields.
struct ParseRegexTransform: FieldParser {
    let regex: CompiledRegex
    let field: String

    init(pattern: String, field: String) throws {
        regex = try CompiledRegex(pattern)
        self.field = field
    }

    var notAString: String { "parse_regex: field '\(field)' is not a string" }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        guard let captures = regex.captures(text, Value.string) else {
            return .failure(ParseFailure(reason: "parse_regex: '\(field)' does not match the pattern"))
        }
        return .success(captures)
    }
}

/// `parse_json`: a JSON object in a field becomes fields (merged over the existing ones).
struct ParseJSONTransform: FieldParser {
    let field: String

    var notAString: String { "parse_json: '\(field)' is not a JSON object" }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        var text = text
        // The byte parser: no Foundation bridging, and nesting is capped (512 levels).
        guard case .object(let object)? = text.withUTF8({ try? JSONValueParser.parse(UnsafeRawBufferPointer($0)) }) else {
            return .failure(ParseFailure(reason: notAString))
        }
        return .success(object.map { ($0.key, $0.value) })
    }
}

/// `parse_logfmt`: `key=value key2="quoted value"` pairs become string fields.
struct ParseLogfmtTransform: FieldParser {
    let field: String

    var notAString: String { "parse_logfmt: field '\(field)' is not a string" }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        let pairs = Self.pairs(text)
        guard !pairs.isEmpty else { return .failure(ParseFailure(reason: "parse_logfmt: '\(field)' holds no key=value pairs")) }
        return .success(pairs.map { ($0.0, .string($0.1)) })
    }

    static func pairs(_ text: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var chars = Substring(text)
        while true {
            chars = chars.drop { $0 == " " || $0 == "\t" }
            guard !chars.isEmpty else { break }
            let key = chars.prefix { $0 != "=" && $0 != " " }
            chars = chars.dropFirst(key.count)
            guard chars.first == "=" else {
                if !key.isEmpty { pairs.append((String(key), "true")) }
                continue
            }
            chars = chars.dropFirst()
            var value = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                while let c = chars.first, c != "\"" {
                    if c == "\\", let next = chars.dropFirst().first {
                        value.append(next)
                        chars = chars.dropFirst(2)
                    } else {
                        value.append(c)
                        chars = chars.dropFirst()
                    }
                }
                chars = chars.dropFirst()
            } else {
                let raw = chars.prefix { $0 != " " && $0 != "\t" }
                value = String(raw)
                chars = chars.dropFirst(raw.count)
            }
            if !key.isEmpty { pairs.append((String(key), value)) }
        }
        return pairs
    }
}

/// `set`: fields computed by expressions (all from the record as it came in).
struct SetTransform: RecordTransform {
    let fields: [(String, Expression)]

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        records: for original in batch {
            var record = original
            for (name, expression) in fields {
                do {
                    record[field: name] = try expression.evaluate(original.fields)
                } catch {
                    result.fail(original, "set \(name): \(error.message)")
                    continue records
                }
            }
            result.emit(record)
        }
        return result
    }
}

/// `rename`: moves fields to new names (a missing field is left alone).
struct RenameTransform: RecordTransform {
    let pairs: [(String, String)]

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for var record in batch {
            // Take every source value before writing any, so swaps and chains keep their data.
            let moved = pairs.compactMap { from, to in record[field: from].map { (to, $0) } }
            for (from, _) in pairs { record[field: from] = nil }
            for (to, value) in moved { record[field: to] = value }
            result.emit(record)
        }
        return result
    }
}

/// `remove`: drops fields.
struct RemoveTransform: RecordTransform {
    let fields: [String]

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for var record in batch {
            for name in fields { record[field: name] = nil }
            result.emit(record)
        }
        return result
    }
}

/// `route`: each record goes to every case whose condition holds (`<id>.<case>`), or to
/// `_unmatched`.
struct RouteTransform: RecordTransform {
    let routes: [(String, Expression)]

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        for record in batch {
            do {
                // All cases first: a record that fails one goes nowhere but to the failures.
                var matched: [String] = []
                for (name, condition) in routes where try condition.matches(record.fields) { matched.append(name) }
                for name in matched.isEmpty ? ["_unmatched"] : matched { result.emit(record, to: name) }
            } catch {
                result.fail(record, "route: \(error.message)")
            }
        }
        return result
    }
}

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
        formatter.defaultDate = Calendar(identifier: .gregorian).date(from: DateComponents(
            timeZone: TimeZone(identifier: "UTC"), year: Calendar(identifier: .gregorian).component(.year, from: Date()), month: 1, day: 1))
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

/// `sample`: keeps one record in `rate`, counting across batches.
final class SampleTransform: RecordTransform {
    let rate: Int64
    private let seen = Mutex<Int64>(0)

    init(rate: Int64) { self.rate = rate }

    func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        seen.withLock { seen in
            for record in batch {
                if seen % rate == 0 { result.emit(record) }
                seen += 1
            }
        }
        return result
    }
}
