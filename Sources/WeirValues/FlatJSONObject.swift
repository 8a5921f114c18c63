import CJSONText

/// The JSON of an object whose members are all flat (ASCII text still in the bytes it was
/// read with, strings, integers, booleans, null), as a record parsed from a log line is:
/// written in one pass through a pointer, into room made once for the most it could take
/// (each text byte escaped: at most six), then copied into the output at once, instead of
/// an array append per piece and a pass to work out the length first.
///
/// Produces exactly the bytes `Value.writeJSONObject`'s general path does; objects with
/// anything else (non-ASCII text, doubles, arrays, nested objects) take that path.
enum FlatJSONObject {
    /// Appends the object to `out` and returns true, or returns false (writing nothing)
    /// when a member is not flat.
    static func write(_ fields: Fields, extra: (key: String, value: Value)?, into out: inout [UInt8]) -> Bool {
        var scratch = JSONObjectScratch()
        return write(fields, extra: extra, scratch: &scratch, into: &out)
    }

    /// `write(_:extra:into:)` with the member names' text and the room to write in kept
    /// in `scratch` from one object to the next (a writer of many objects keeps one).
    static func write(
        _ fields: Fields, extra: (key: String, value: Value)?, scratch: inout JSONObjectScratch, into out: inout [UInt8]
    ) -> Bool {
        scratch.update(fields, extraKey: extra?.key)
        let leading = scratch.leads ? extra : nil
        guard let most = mostLength(fields, leading) else { return false }
        // (Text is written sixteen bytes at a time: up to 16 past its end.)
        scratch.makeRoom(most + scratch.text.count + 16)
        let ends = scratch.ends
        return scratch.text.withUnsafeBufferPointer { nameText in
            // Each name's text, by its place among the members written.
            func name(_ member: Int) -> UnsafeBufferPointer<UInt8> {
                let start = member == 0 ? 0 : ends[member - 1]
                return UnsafeBufferPointer(rebasing: nameText[start..<ends[member]])
            }
            return scratch.room.withUnsafeMutableBufferPointer { room in
                guard let base = room.baseAddress else { return false }
                var cursor = Cursor(base)
                cursor.put(UInt8(ascii: "{"))
                var member = 0
                if let leading {
                    cursor.put(name(0))
                    guard cursor.value(leading.value) else { return false }
                    member = 1
                }
                // Read where they are: an entry copied out is a retain and a release.
                let flat = fields.entries.withUnsafeBufferPointer { entries in
                    for i in entries.indices {
                        if member > 0 { cursor.put(UInt8(ascii: ",")) }
                        cursor.put(name(member))
                        member += 1
                        switch entries[i].slot {
                        case .text(let bytes):
                            guard bytes.withUnsafeBufferPointer({ cursor.string($0) }) else { return false }
                        case .value(let value):
                            guard cursor.value(value) else { return false }
                        }
                    }
                    return true
                }
                guard flat else { return false }
                cursor.put(UInt8(ascii: "}"))
                out.append(contentsOf: UnsafeBufferPointer(start: base, count: cursor.at - base))
                return true
            }
        }
    }

    /// The most bytes the object's punctuation and values can take (the names' text is
    /// added by the caller), or nil when a value is not flat.
    private static func mostLength(_ fields: Fields, _ leading: (key: String, value: Value)?) -> Int? {
        // The braces, and a comma before each member but the first.
        var total = 2 + max(0, fields.entries.count + (leading == nil ? 0 : 1) - 1)
        if let leading {
            guard let most = mostLength(leading.value) else { return nil }
            total += most
        }
        return fields.entries.withUnsafeBufferPointer { entries in
            for i in entries.indices {
                switch entries[i].slot {
                case .text(let bytes): total += 2 + 6 * bytes.count
                case .value(let value):
                    guard let most = mostLength(value) else { return nil }
                    total += most
                }
            }
            return total
        }
    }

    /// The most bytes a flat value can take in JSON; nil for any other value.
    private static func mostLength(_ value: Value) -> Int? {
        switch value {
        case .null, .bool: 5
        case .int: 20
        case .string(let text): 2 + 6 * text.utf8.count
        case .double, .array, .object: nil
        }
    }

    static func digitCount(_ magnitude: UInt64) -> Int {
        var magnitude = magnitude
        var count = 1
        while magnitude >= 10 {
            magnitude /= 10
            count += 1
        }
        return count
    }

    /// Where the next byte goes, in room made sure of.
    private struct Cursor {
        var at: UnsafeMutablePointer<UInt8>

        init(_ start: UnsafeMutablePointer<UInt8>) { at = start }

        @inline(__always)
        mutating func put(_ byte: UInt8) {
            at.initialize(to: byte)
            at += 1
        }

        @inline(__always)
        mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let source = bytes.baseAddress else { return }
            at.initialize(from: source, count: bytes.count)
            at += bytes.count
        }

        /// Writes a flat value; false (having written part of it) for text that is not ASCII.
        mutating func value(_ value: Value) -> Bool {
            switch value {
            case .null:
                put(UInt8(ascii: "n"))
                put(UInt8(ascii: "u"))
                put(UInt8(ascii: "l"))
                put(UInt8(ascii: "l"))
            case .bool(true):
                put(UInt8(ascii: "t"))
                put(UInt8(ascii: "r"))
                put(UInt8(ascii: "u"))
                put(UInt8(ascii: "e"))
            case .bool(false):
                put(UInt8(ascii: "f"))
                put(UInt8(ascii: "a"))
                put(UInt8(ascii: "l"))
                put(UInt8(ascii: "s"))
                put(UInt8(ascii: "e"))
            case .int(let number): integer(number)
            case .string(let text):
                var text = text
                return text.withUTF8 { string($0) }
            case .double, .array, .object: return false  // not flat: `mostLength` refused the object
            }
            return true
        }

        mutating func integer(_ number: Int64) {
            if number < 0 { put(UInt8(ascii: "-")) }
            var magnitude = number.magnitude
            at += FlatJSONObject.digitCount(magnitude)
            var digit = at
            repeat {
                digit -= 1
                digit.initialize(to: UInt8(ascii: "0") + UInt8(magnitude % 10))
                magnitude /= 10
            } while magnitude > 0
        }

        /// ASCII bytes as a JSON string, in one pass (`weir_json_escape_ascii`: sixteen
        /// bytes per step, stored as they are up to a byte that needs escaping). False
        /// (having written part of it) when a byte is not ASCII.
        mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            put(UInt8(ascii: "\""))
            if let base = bytes.baseAddress {
                let written = weir_json_escape_ascii(base, bytes.count, at)
                guard written >= 0 else { return false }
                at += written
            }
            put(UInt8(ascii: "\""))
            return true
        }
    }
}
