import Foundation
import Synchronization
import WeirValues

/// `parse_regex`: the named captures of the pattern become string fields.
struct ParseRegexTransform: FieldParser {
    let regex: CompiledRegex
    let field: String

    /// The named groups' names, in pattern order.
    let names: [String]
    /// Whether the names differ from each other and from `field`: captures can then be
    /// added to a record holding only `field` without looking for a field of that name.
    let distinctNames: Bool

    init(pattern: String, field: String) throws {
        regex = try CompiledRegex(pattern)
        self.field = field
        names = regex.groups.map(\.name)
        distinctNames = Set(names).count == names.count && !names.contains(field)
    }

    var notAString: String { "parse_regex: field '\(field)' is not a string" }

    /// A record whose field is still the ASCII bytes it was read with is matched on those
    /// bytes, and each capture is a slice of them: nothing is decoded or copied. Others go
    /// the way every parser goes.
    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        let matcher = regex.matcher()
        var captured: [(Int, Range<Int>)] = []
        captured.reserveCapacity(names.count)
        return parseEach(batch) { record in
            guard let bytes = record.fields.asciiText(field) else { return parse(&record) }
            let base = bytes.startIndex
            captured.removeAll(keepingCapacity: true)
            let matched = bytes.withUnsafeBufferPointer { buffer in
                matcher.match(buffer) { captured.append(($0, $1)) }
            }
            guard matched else { return ParseFailure(reason: mismatch) }
            // A record holding only the parsed field (a line as read) gets the captures
            // added without a search for each name.
            let fresh = distinctNames && record.fields.count == 1
            for (index, range) in captured {
                let value = bytes[(base + range.lowerBound)..<(base + range.upperBound)]
                if fresh { record.fields.appendText(names[index], value) } else { record.fields.setText(names[index], value) }
            }
            return nil
        }
    }

    var mismatch: String { "parse_regex: '\(field)' does not match the pattern" }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        guard let captures = regex.captures(text, Value.string) else {
            return .failure(ParseFailure(reason: mismatch))
        }
        return .success(captures)
    }
}
