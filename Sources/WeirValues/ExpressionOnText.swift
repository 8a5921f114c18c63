import Foundation

/// Conditions decided on the bytes a field was read with.
///
/// A record parsed from a log line holds its fields as slices of the line (see `Fields`);
/// `matches(_: Value)` reads a field as a `Value`, which makes a `String` of it, and wraps
/// the record in a `Value.object`. For the conditions filters are mostly made of (a field
/// compared with a string: `==`, `!=`, `starts_with`, `ends_with`, `contains`, joined by
/// `&&`, `||`, `!`) on ASCII bytes, the answer is the same on the bytes, so it is worked
/// out there; anything else is evaluated as before.
extension Expression {
    /// Whether the expression holds for a record of `fields`: exactly `matches(.object(fields))`.
    public func matches(_ fields: Fields) throws(ExpressionError) -> Bool {
        if let decided = truthOnText(fields) { return decided }
        return try matches(.object(fields))
    }

    /// The truth of the expression when it is decided on ASCII bytes alone (no error is
    /// possible then); nil when it needs the general evaluation.
    private func truthOnText(_ fields: Fields) -> Bool? {
        switch self {
        case .and(let left, let right):
            guard let first = left.truthOnText(fields) else { return nil }
            return first ? right.truthOnText(fields) : false
        case .or(let left, let right):
            guard let first = left.truthOnText(fields) else { return nil }
            return first ? true : right.truthOnText(fields)
        case .not(let inner, _):
            return inner.truthOnText(fields).map { !$0 }
        case .compare(let op, .path(let path, _), .literal(.string(let literal)), _) where path.count == 1:
            return Self.compareOnText(op, fields, path[0], literal)
        default:
            return nil
        }
    }

    /// `field op literal`, when the field is missing or held as ASCII bytes; nil otherwise.
    private static func compareOnText(_ op: ComparisonOperator, _ fields: Fields, _ name: String, _ literal: String) -> Bool? {
        guard let at = fields.index(forKey: name) else {
            // A missing field is null: equal to no string, and no string function holds.
            switch op {
            case .equal, .startsWith, .endsWith, .contains: return false
            case .notEqual: return true
            case .less, .lessOrEqual, .greater, .greaterOrEqual: return nil
            }
        }
        guard case .text(let bytes) = fields.entries[at].slot, Fields.isASCII(bytes) else { return nil }
        var literal = literal
        return literal.withUTF8 { part -> Bool? in
            bytes.withUnsafeBufferPointer { text -> Bool? in
                // Whether `part` is in `text` at `offset` (it fits there).
                func holds(at offset: Int) -> Bool {
                    offset >= 0 && offset + part.count <= text.count
                        && (part.isEmpty || memcmp(text.baseAddress! + offset, part.baseAddress!, part.count) == 0)
                }
                switch op {
                // Strings compare by canonical equivalence; for ASCII on both sides that is
                // byte equality (a non-ASCII literal may still equal ASCII text: "\u{212A}" is "K").
                case .equal, .notEqual:
                    guard Fields.isASCII(part) else { return nil }
                    let same = text.count == part.count && holds(at: 0)
                    return op == .equal ? same : !same
                // These compare UTF-8 bytes in the general evaluation too.
                case .startsWith: return holds(at: 0)
                case .endsWith: return holds(at: text.count - part.count)
                case .contains: return contains(text, part)
                case .less, .lessOrEqual, .greater, .greaterOrEqual: return nil
                }
            }
        }
    }

    /// Whether `part`'s bytes occur in `text`'s: memchr for the first byte, memcmp for the rest.
    static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first else { return true }
        guard let base = haystack.baseAddress, let wanted = needle.baseAddress, haystack.count >= needle.count else { return false }
        var at = 0
        let last = haystack.count - needle.count
        while at <= last, let hit = memchr(base + at, Int32(first), last - at + 1) {
            let position = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + position, wanted, needle.count) == 0 { return true }
            at = position + 1
        }
        return false
    }
}
