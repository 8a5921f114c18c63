import Foundation

/// `parse_json`'s reader: the members of a JSON object set on a record's fields straight
/// from the bytes of the message, as `parse_nginx_log` sets what it parses.
///
/// `JSONValueParser` makes a `Value` tree, a `String` per member and per key, and its
/// object's members are then merged one by one by name. Here a string member stays the
/// bytes it was read with (`Fields.Slot.text`: decoded only when read; a slice of the
/// message when it has no escapes), an integer is read from its digits, and the members
/// are appended to the fields. Keys are kept from one object to the next (the objects of
/// a topic have a few keys, mostly in the same order): a key seen before is compared
/// bytes to bytes, its `String` reused, and whether it names a field the record had
/// before is known. What is rarer (`\u` escapes, fractions and exponents, big integers,
/// arrays and objects) goes to `JSONValueParser`'s own methods, so the values are the
/// same as `JSONValueParser.parse` gives.
///
/// The bytes must be valid UTF-8 (as ASCII text or a `String`'s UTF-8 is): a slice of
/// them is then exactly the string it decodes to.
public struct JSONMembersReader: Sendable {
    /// A key seen before.
    private struct Key: Sendable {
        /// Its bytes as written between its quotes: `keyText[start..<end]`.
        var start: Int
        var end: Int
        var name: String
        /// The object it was last seen in (`object`), to find a name given twice.
        var seen: UInt64
        /// The position of the field of its name among `originals`, or -1.
        var original: Int
    }

    /// At most this many keys are kept (objects keyed by ids have ever new keys); the
    /// others (and keys with escapes) are made each time, and their object merged by name.
    private static let maxKeys = 256

    private var keyText: [UInt8] = []
    private var keys: [Key] = []
    /// The key at each place of the last object, tried first at that place.
    private var order: [Int] = []
    /// The names of the fields the last record had before its members were set.
    private var originals: [String] = []
    /// Counts the objects read.
    private var object: UInt64 = 0
    /// This object's members that replace a field's value (by place, and the field's
    /// position), in order.
    private var replacing: [(member: Int, field: Int)] = []
    /// Whether this object's members must be merged by name: a name given twice, or a
    /// key not kept.
    private var byName = false

    public init() {}

    /// Parses `bytes` as one JSON object and sets its members on `fields` as setting
    /// `fields[name]` for each one in turn does: a member named as a field replaces that
    /// field's value where it is, the others are added last in their order, and a name
    /// given twice keeps its first place and its last value. Returns false, leaving
    /// `fields` as it was, when the text is not a JSON object.
    public mutating func merge(_ bytes: ArraySlice<UInt8>, into fields: inout Fields) -> Bool {
        let original = fields.entries.count
        noteOriginals(fields, original)
        object &+= 1
        replacing.removeAll(keepingCapacity: true)
        byName = false
        // Room for as many members as the last object had, made once.
        fields.entries.reserveCapacity(original + order.count)
        let parsed = bytes.withUnsafeBytes { raw in
            var parser = JSONValueParser(bytes: raw)
            do {
                try members(&parser, bytes, &fields)
                return true
            } catch {
                return false
            }
        }
        guard parsed else {
            fields.entries.removeSubrange(original...)
            return false
        }
        if byName {
            settle(&fields, original)
        } else {
            for (member, field) in replacing {
                fields.entries[field].slot = fields.entries[original + member].slot
            }
            for (member, _) in replacing.reversed() {
                fields.entries.remove(at: original + member)
            }
        }
        return true
    }

    /// Appends the object's members to `fields.entries`, unmerged.
    private mutating func members(_ parser: inout JSONValueParser, _ message: ArraySlice<UInt8>, _ fields: inout Fields)
        throws(JSONValueParser.Failure)
    {
        let bytes = parser.bytes
        // A UTF-8 byte order mark is not part of the text (as `JSONValueParser.parse` skips it).
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { parser.at = 3 }
        parser.skipSpace()
        guard parser.at < bytes.count, bytes[parser.at] == UInt8(ascii: "{") else { throw parser.failure("not an object") }
        parser.at += 1
        parser.skipSpace()
        var place = 0
        if parser.at < bytes.count, bytes[parser.at] == UInt8(ascii: "}") {
            parser.at += 1
        } else {
            while true {
                parser.skipSpace()
                guard parser.at < bytes.count, bytes[parser.at] == UInt8(ascii: "\"") else {
                    throw parser.failure("an object key must be a string")
                }
                let name = try key(&parser, place: place)
                parser.skipSpace()
                guard parser.at < bytes.count, bytes[parser.at] == UInt8(ascii: ":") else {
                    throw parser.failure("':' expected after an object key")
                }
                parser.at += 1
                parser.skipSpace()
                guard parser.at < bytes.count else { throw parser.failure("the text ends where a value should be") }
                let value = try slot(&parser, message)
                fields.entries.append(Fields.Entry(name, value))
                place += 1
                parser.skipSpace()
                guard parser.at < bytes.count else { throw parser.failure("the text ends inside an object") }
                if bytes[parser.at] == UInt8(ascii: ",") {
                    parser.at += 1
                } else if bytes[parser.at] == UInt8(ascii: "}") {
                    parser.at += 1
                    break
                } else {
                    throw parser.failure("',' or '}' expected in an object")
                }
            }
        }
        parser.skipSpace()
        guard parser.at == bytes.count else { throw parser.failure("unexpected text after the value") }
        if order.count > place { order.removeSubrange(place...) }
    }

    /// Where the string starting after the quote at `start` ends (at its closing quote),
    /// or nil when it has an escape (or no end): then `JSONValueParser.string` reads it.
    @inline(__always)
    private static func plainEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(JSONValueParser.Failure) -> Int? {
        let at = stop(bytes, from: start)
        guard at < bytes.count else { return nil }
        let byte = bytes[at]
        if byte == UInt8(ascii: "\"") { return at }
        if byte == UInt8(ascii: "\\") { return nil }
        throw JSONValueParser.Failure(offset: at, message: "a control character inside a string")
    }

    /// The position of the first quote, backslash or control byte from `start` on
    /// (`bytes.count` when there is none), looked for eight bytes at a time: each test
    /// marks the high bit of a byte that matches, and wrongly only bytes after one that
    /// does, so the lowest mark is the first match.
    @inline(__always)
    public static func stop(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        var at = start
        while at + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let marks = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word) & (ones &* 0x80)
            if marks != 0 { return at + marks.trailingZeroBitCount >> 3 }
            at += 8
        }
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return at }
            at += 1
        }
        return at
    }

    /// The key at the parser (its opening quote): the name kept for its bytes, noting
    /// whether its member replaces a field or one before it.
    private mutating func key(_ parser: inout JSONValueParser, place: Int) throws(JSONValueParser.Failure) -> String {
        let start = parser.at + 1
        let end: Int
        var decoded: String?
        if let plain = try Self.plainEnd(parser.bytes, from: start) {
            end = plain
            parser.at = plain + 1
        } else {
            decoded = try parser.string()
            end = parser.at - 1
        }
        let key = UnsafeRawBufferPointer(rebasing: parser.bytes[start..<end])
        var found = place < order.count && isKey(order[place], key) ? order[place] : nil
        // Only keys without escapes are kept: then two keys differ in name when they differ
        // in bytes (valid UTF-8 decodes one way), and `seen` finds a name given twice.
        if found == nil && decoded == nil {
            found = keys.indices.first { isKey($0, key) }
            if found == nil && keys.count < Self.maxKeys {
                let name = decoded ?? String(decoding: key, as: UTF8.self)
                keys.append(Key(start: keyText.count, end: keyText.count + key.count, name: name, seen: 0, original: -1))
                keyText.append(contentsOf: key)
                keys[keys.count - 1].original = originals.firstIndex(of: name) ?? -1
                found = keys.count - 1
            }
        }
        guard let found else {
            byName = true
            return decoded ?? String(decoding: key, as: UTF8.self)
        }
        if place < order.count { order[place] = found } else { order.append(found) }
        if keys[found].seen == object { byName = true }
        keys[found].seen = object
        if keys[found].original >= 0 { replacing.append((place, keys[found].original)) }
        return keys[found].name
    }

    /// Whether kept key `index` has these bytes.
    @inline(__always)
    private func isKey(_ index: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let kept = keys[index]
        guard kept.end - kept.start == key.count else { return false }
        return key.isEmpty || keyText.withUnsafeBytes { memcmp($0.baseAddress! + kept.start, key.baseAddress!, key.count) == 0 }
    }

    /// Makes `originals` the names of the record's fields before its members, and each
    /// kept key's `original` match them, when they differ from the last record's.
    private mutating func noteOriginals(_ fields: Fields, _ original: Int) {
        if originals.count == original {
            var same = true
            for i in 0..<original where fields.entries[i].name != originals[i] {
                same = false
                break
            }
            if same { return }
        }
        originals = fields.entries[0..<original].map(\.name)
        for i in keys.indices { keys[i].original = originals.firstIndex(of: keys[i].name) ?? -1 }
    }

    /// The value at the parser: a string without escapes as a slice of `message`, an
    /// integer of up to 18 digits from its digits, anything else by `JSONValueParser`.
    @inline(__always)
    private func slot(_ parser: inout JSONValueParser, _ message: ArraySlice<UInt8>) throws(JSONValueParser.Failure) -> Fields.Slot {
        let bytes = parser.bytes
        let first = bytes[parser.at]
        if first == UInt8(ascii: "\"") {
            let start = parser.at + 1
            guard let end = try Self.plainEnd(bytes, from: start) else {
                if let unescaped = Self.unescaped(bytes, from: start) {
                    parser.at = unescaped.end + 1
                    return .text(unescaped.text[...])
                }
                return .value(.string(try parser.string()))
            }
            parser.at = end + 1
            return .text(message[(message.startIndex + start)..<(message.startIndex + end)])
        }
        if first == UInt8(ascii: "-") || (first &- 0x30) < 10, let number = Self.integer(bytes, from: parser.at) {
            parser.at = number.end
            return .value(.int(number.value))
        }
        return .value(try parser.value(depth: 1))
    }

    /// The bytes of a string with escapes other than `\u` (those of a message that holds
    /// a quoted line), unescaped, and where it ends (its closing quote); nil for anything
    /// else, left to `JSONValueParser.string`. Valid UTF-8 when the text is: an escape
    /// gives an ASCII byte, between ASCII bytes.
    private static func unescaped(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (text: [UInt8], end: Int)? {
        var at = start
        var escapes = 0
        while true {
            at = stop(bytes, from: at)
            guard at < bytes.count else { return nil }
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") { break }
            guard byte == UInt8(ascii: "\\"), at + 1 < bytes.count, escapedByte(bytes[at + 1]) != nil else { return nil }
            escapes += 1
            at += 2
        }
        let end = at
        let text = [UInt8](unsafeUninitializedCapacity: end - start - escapes) { out, count in
            var from = start
            var to = 0
            while from < end {
                // The run up to the next escape (the string holds no quote or control byte).
                let run = min(stop(bytes, from: from), end)
                if run > from {
                    (out.baseAddress! + to).initialize(
                        from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + from, count: run - from)
                    to += run - from
                    from = run
                }
                if from < end {
                    out[to] = escapedByte(bytes[from + 1])!
                    to += 1
                    from += 2
                }
            }
            count = to
        }
        return (text, end)
    }

    /// The byte an escape `\` + `letter` stands for; nil for `\u` and bad escapes.
    @inline(__always)
    private static func escapedByte(_ letter: UInt8) -> UInt8? {
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): letter
        case UInt8(ascii: "n"): 0x0a
        case UInt8(ascii: "r"): 0x0d
        case UInt8(ascii: "t"): 0x09
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0c
        default: nil
        }
    }

    /// A plain integer (`-`? then 1 to 18 digits, no leading zero, no fraction or
    /// exponent) and where it ends; nil for any other number, left to `JSONValueParser`.
    @inline(__always)
    public static func integer(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (value: Int64, end: Int)? {
        var at = start
        let negative = bytes[at] == UInt8(ascii: "-")
        if negative { at += 1 }
        let digitsStart = at
        var magnitude: Int64 = 0
        while at < bytes.count {
            let digit = bytes[at] &- 0x30
            guard digit < 10 else { break }
            magnitude = magnitude &* 10 &+ Int64(digit)
            at += 1
        }
        let digits = at - digitsStart
        guard digits > 0 && digits <= 18 && (digits == 1 || bytes[digitsStart] != UInt8(ascii: "0")) else { return nil }
        if at < bytes.count {
            let next = bytes[at]
            if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") { return nil }
        }
        return (negative ? -magnitude : magnitude, at)
    }

    /// Moves the appended members into place as setting each by name does.
    private func settle(_ fields: inout Fields, _ original: Int) {
        let members = fields.entries[original...]
        fields.entries.removeSubrange(original...)
        for member in members {
            if let at = fields.index(forKey: member.name) {
                fields.entries[at].slot = member.slot
            } else {
                fields.entries.append(member)
            }
        }
    }
}
