import Foundation
import WeirValues

/// The records a POSTed body holds, by its `Content-Type`; all or none (a body that is not
/// what its type says is refused whole, so a client's retry never duplicates half of it).
///
/// - `text/plain` (and no type): a record per line, `\n` or `\r\n`, bytes as sent (like
///   `stdin`); a final line needs no newline.
/// - `application/x-ndjson`, `application/jsonl` (and `application/x-jsonlines`): a JSON
///   value per line, blank lines skipped.
/// - `application/json`: an object is one record, an array one record per element.
///
/// A JSON value becomes a record as its compact JSON text (one line, whatever the client's
/// layout), so `parse_json` and JSON-aware sinks read it; a JSON string becomes its text,
/// so `["line one","line two"]` posts two plain lines.
enum HTTPBodyRecords {
    enum Format: Equatable {
        case lines, ndjson, json
    }

    /// Why a body was refused: a status and one line for the client.
    struct Refusal: Error, Equatable {
        /// 400 (not what its type says) or 415 (a type this source does not read).
        var status: Int
        var reason: String
    }

    /// The format a `Content-Type` header names (parameters such as `charset` ignored).
    static func format(contentType: String?) throws(Refusal) -> Format {
        guard let contentType else { return .lines }
        let media = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        switch media ?? "" {
        case "", "text/plain": return .lines
        case "application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/ndjson": return .ndjson
        case "application/json": return .json
        case let other:
            throw Refusal(
                status: 415,
                reason:
                    "content type \(other) is not read here: send text/plain (lines), application/x-ndjson (a JSON value per line) or application/json (an object or an array)"
            )
        }
    }

    /// The record values of `body` read as `format`.
    static func values(_ body: [UInt8], as format: Format) throws(Refusal) -> [[UInt8]] {
        switch format {
        case .lines: return lines(body).map { Array(body[$0]) }
        case .ndjson: return try ndjson(body)
        case .json: return try json(body)
        }
    }

    /// Each line's range, without its `\r\n` or `\n`; no record after a final newline.
    static func lines(_ body: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < body.count {
            let newline = body[start...].firstIndex(of: 0x0a) ?? body.count
            let end = newline > start && body[newline - 1] == 0x0d ? newline - 1 : newline
            ranges.append(start..<end)
            start = newline + 1
        }
        return ranges
    }

    private static func ndjson(_ body: [UInt8]) throws(Refusal) -> [[UInt8]] {
        var values: [[UInt8]] = []
        for (index, range) in lines(body).enumerated() {
            let line = body[range]
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                values.append(record(try JSONValueParser.parse(Array(line))))
            } catch {
                throw Refusal(status: 400, reason: "line \(index + 1) is not JSON: \(error.message) at byte \(error.offset + 1)")
            }
        }
        return values
    }

    private static func json(_ body: [UInt8]) throws(Refusal) -> [[UInt8]] {
        let value: Value
        do {
            value = try JSONValueParser.parse(body)
        } catch {
            let (line, column) = place(of: error.offset, in: body)
            throw Refusal(status: 400, reason: "the body is not JSON: \(error.message) at line \(line), column \(column)")
        }
        switch value {
        case .object: return [record(value)]
        case .array(let elements): return elements.map(record)
        default:
            throw Refusal(
                status: 400, reason: "an application/json body is an object (one record) or an array (a record each), not \(value.typeName)"
            )
        }
    }

    /// A value's record: a string's text, anything else its compact JSON.
    private static func record(_ value: Value) -> [UInt8] {
        if case .string(let text) = value { return Array(text.utf8) }
        var out: [UInt8] = []
        value.writeJSON(into: &out)
        return out
    }

    /// The 1-based line and column of a byte offset.
    private static func place(of offset: Int, in body: [UInt8]) -> (Int, Int) {
        let before = body.prefix(min(offset, body.count))
        let line = before.reduce(1) { $1 == 0x0a ? $0 + 1 : $0 }
        let column = offset - (before.lastIndex(of: 0x0a).map { $0 + 1 } ?? 0) + 1
        return (line, column)
    }
}
