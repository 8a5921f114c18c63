import Foundation
import Synchronization
import WeirValues

/// `parse_grok`: the first of its grok patterns that matches a field says which fields
/// the record gets, typed where a capture asks (`%{NUMBER:bytes:int}`).
struct ParseGrokTransform: FieldParser {
    let patterns: [GrokPattern]
    let field: String
    /// Per pattern: `GrokPattern.capturesDistinctFields(from: field)`.
    let distinctFields: [Bool]

    init(patterns: [GrokPattern], field: String) {
        self.patterns = patterns
        self.field = field
        distinctFields = patterns.map { $0.capturesDistinctFields(from: field) }
    }

    var notAString: String { "parse_grok: field '\(field)' is not a string" }

    var mismatch: String {
        patterns.count == 1
            ? "parse_grok: '\(field)' does not match the pattern" : "parse_grok: '\(field)' matches none of the \(patterns.count) patterns"
    }

    /// Match data for one batch (a thread's), and the captures of the last match.
    final class Scratch {
        let matchers: [CompiledRegex.Matcher]
        var captured: [(Int, Range<Int>)] = []
        var converted: [Value] = []

        init(_ patterns: [GrokPattern]) {
            matchers = patterns.map { $0.regex.matcher() }
        }
    }

    /// Matches the field's bytes as parse_regex does: a record whose field is still the ASCII
    /// bytes it was read with gets slices of them, nothing decoded or copied; another
    /// string is matched on its UTF-8.
    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        let scratch = Scratch(patterns)
        return parseEach(batch) { record in
            if let bytes = record.fields.asciiText(field) { return apply(bytes, to: &record.fields, scratch) }
            guard case .string(let text) = record[field: field] else { return ParseFailure(reason: notAString) }
            return apply(ArraySlice(text.utf8), to: &record.fields, scratch)
        }
    }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        var fields = Fields()
        if let failure = apply(ArraySlice(text.utf8), to: &fields, Scratch(patterns)) { return .failure(failure) }
        return .success(fields.map { ($0.key, $0.value) })
    }

    /// Tries the patterns in order on `bytes`; the first that matches writes its captures
    /// into `fields`, or nothing when one of them does not convert.
    func apply(_ bytes: ArraySlice<UInt8>, to fields: inout Fields, _ scratch: Scratch) -> ParseFailure? {
        for (index, pattern) in patterns.enumerated() {
            scratch.captured.removeAll(keepingCapacity: true)
            let matched = bytes.withUnsafeBufferPointer { buffer in
                scratch.matchers[index].match(buffer) { scratch.captured.append(($0, $1)) }
            }
            guard matched else { continue }
            return write(pattern, distinct: distinctFields[index], bytes, to: &fields, scratch)
        }
        return ParseFailure(reason: mismatch)
    }

    /// Writes one match's captures. An empty capture adds no field (as Logstash's default);
    /// of a name captured twice in one match the last stays.
    private func write(
        _ pattern: GrokPattern, distinct: Bool, _ bytes: ArraySlice<UInt8>, to fields: inout Fields, _ scratch: Scratch
    ) -> ParseFailure? {
        let base = bytes.startIndex
        // Conversions first, so that a record that fails keeps the fields it came with.
        scratch.converted.removeAll(keepingCapacity: true)
        for (group, range) in scratch.captured where !range.isEmpty {
            let capture = pattern.captures[group]
            guard capture.conversion != .none else { continue }
            let text = bytes[(base + range.lowerBound)..<(base + range.upperBound)]
            guard let value = capture.conversion.value(text) else {
                let shown = String(decoding: text.prefix(64), as: UTF8.self)
                let wanted = capture.conversion == .int ? "an integer" : "a number"
                return ParseFailure(reason: "parse_grok: capture '\(capture.name)' is not \(wanted): '\(shown)'")
            }
            scratch.converted.append(value)
        }
        let fresh = distinct && fields.count == 1
        var nextConverted = 0
        for (group, range) in scratch.captured where !range.isEmpty {
            let capture = pattern.captures[group]
            let text = bytes[(base + range.lowerBound)..<(base + range.upperBound)]
            var value: Value?
            if capture.conversion != .none {
                value = scratch.converted[nextConverted]
                nextConverted += 1
            }
            if capture.path.count == 1 {
                let name = capture.path[0]
                switch (value, fresh) {
                case (let value?, _): fields[name] = value
                case (nil, true): fields.appendText(name, text)
                case (nil, false): fields.setText(name, text)
                }
            } else {
                Self.set(capture.path[...], text: text, value: value, in: &fields)
            }
        }
        return nil
    }

    /// Sets a nested field, making (or replacing with) objects along the path.
    static func set(_ path: ArraySlice<String>, text: ArraySlice<UInt8>, value: Value?, in fields: inout Fields) {
        let name = path[path.startIndex]
        guard path.count > 1 else {
            if let value { fields[name] = value } else { fields.setText(name, text) }
            return
        }
        var inner = if case .object(let existing)? = fields[name] { existing } else { Fields() }
        set(path.dropFirst(), text: text, value: value, in: &inner)
        fields[name] = .object(inner)
    }
}
