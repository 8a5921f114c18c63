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

    /// Per pattern, per capture: its field's name when it is a top-level field, nil for a
    /// nested path (looked up once here, not per record).
    let topLevelNames: [[String?]]
    /// Per pattern: whether one of its captures converts (`:int`, `:float`).
    let converts: [Bool]

    init(patterns: [GrokPattern], field: String) {
        self.patterns = patterns
        self.field = field
        distinctFields = patterns.map { $0.capturesDistinctFields(from: field) }
        topLevelNames = patterns.map { pattern in pattern.captures.map { $0.path.count == 1 ? $0.path[0] : nil } }
        converts = patterns.map { pattern in pattern.captures.contains { $0.conversion != .none } }
    }

    var notAString: String { "parse_grok: field '\(field)' is not a string" }

    var mismatch: String {
        patterns.count == 1
            ? "parse_grok: '\(field)' does not match the pattern" : "parse_grok: '\(field)' matches none of the \(patterns.count) patterns"
    }

    /// Match data for one batch (a thread's), and the captures of the last match: locals
    /// of `process`, passed down, so that no access goes through a class.
    struct Scratch {
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
        var scratch = Scratch(patterns)
        return parseEach(batch) { record in
            if let bytes = record.fields.asciiText(field) { return apply(bytes, to: &record.fields, &scratch) }
            guard case .string(let text) = record[field: field] else { return ParseFailure(reason: notAString) }
            return apply(ArraySlice(text.utf8), to: &record.fields, &scratch)
        }
    }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        var fields = Fields()
        var scratch = Scratch(patterns)
        if let failure = apply(ArraySlice(text.utf8), to: &fields, &scratch) { return .failure(failure) }
        return .success(fields.map { ($0.key, $0.value) })
    }

    /// Tries the patterns in order on `bytes`; the first that matches writes its captures
    /// into `fields`, or nothing when one of them does not convert.
    func apply(_ bytes: ArraySlice<UInt8>, to fields: inout Fields, _ scratch: inout Scratch) -> ParseFailure? {
        for index in patterns.indices {
            scratch.captured.removeAll(keepingCapacity: true)
            let matcher = scratch.matchers[index]
            let matched = bytes.withUnsafeBufferPointer { buffer in
                matcher.match(buffer) { scratch.captured.append(($0, $1)) }
            }
            guard matched else { continue }
            return write(index, bytes, to: &fields, &scratch)
        }
        return ParseFailure(reason: mismatch)
    }

    /// Writes one match of pattern `index`. An empty capture adds no field (as Logstash's
    /// default); of a name captured twice in one match the last stays.
    private func write(_ index: Int, _ bytes: ArraySlice<UInt8>, to fields: inout Fields, _ scratch: inout Scratch) -> ParseFailure? {
        let base = bytes.startIndex
        let converts = converts[index]
        if converts {
            // Conversions first, so that a record that fails keeps the fields it came with.
            scratch.converted.removeAll(keepingCapacity: true)
            for (group, range) in scratch.captured where !range.isEmpty {
                let conversion = patterns[index].captures[group].conversion
                guard conversion != .none else { continue }
                let text = bytes[(base + range.lowerBound)..<(base + range.upperBound)]
                guard let value = conversion.value(text) else {
                    let shown = String(decoding: text.prefix(64), as: UTF8.self)
                    let wanted = conversion == .int ? "an integer" : "a number"
                    let name = patterns[index].captures[group].name
                    return ParseFailure(reason: "parse_grok: capture '\(name)' is not \(wanted): '\(shown)'")
                }
                scratch.converted.append(value)
            }
        }
        let fresh = distinctFields[index] && fields.count == 1
        let names = topLevelNames[index]
        var nextConverted = 0
        for (group, range) in scratch.captured where !range.isEmpty {
            let text = bytes[(base + range.lowerBound)..<(base + range.upperBound)]
            var value: Value?
            if converts && patterns[index].captures[group].conversion != .none {
                value = scratch.converted[nextConverted]
                nextConverted += 1
            }
            if let name = names[group] {
                switch (value, fresh) {
                case (let value?, _): fields[name] = value
                case (nil, true): fields.appendText(name, text)
                case (nil, false): fields.setText(name, text)
                }
            } else {
                Self.set(patterns[index].captures[group].path[...], text: text, value: value, in: &fields)
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
