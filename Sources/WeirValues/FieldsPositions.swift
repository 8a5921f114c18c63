/// Reading fields by position, for a writer that looks the same names up in record after
/// record (the postgres sink's columns): where a name was in the last record is where it
/// usually is in the next, so one comparison finds it instead of a search.
extension Fields {
    /// The position of the field called `name`, looked for first at `hint`.
    @inlinable public func index(forKey name: String, hint: Int) -> Int? {
        if hint < entries.count && entries[hint].name == name { return hint }
        return index(forKey: name)
    }

    /// The bytes of the field at `position` when it is a string still held as the bytes
    /// it was read with (possibly not valid UTF-8); nil when it is held as a `Value`.
    @inlinable public func textBytes(at position: Int) -> ArraySlice<UInt8>? {
        if case .text(let bytes) = entries[position].slot { return bytes }
        return nil
    }

    /// The value of the field at `position` (a string held as bytes is decoded).
    @inlinable public func value(at position: Int) -> Value {
        entries[position].slot.value
    }

    /// Whether the field at `position` is a string still held as the bytes it was read with.
    @inlinable public func holdsText(at position: Int) -> Bool {
        if case .text = entries[position].slot { return true }
        return false
    }

    /// Gives `body` the bytes of the field at `position` when it is a string still held as
    /// the bytes it was read with and they are ASCII (so exactly what decoding and encoding
    /// again gives), and says whether it did: nil when the field is held as a `Value`,
    /// false when its bytes are not ASCII. No copy of the bytes, no `String`.
    @inlinable public func withASCIIText(at position: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool? {
        guard case .text(let bytes) = entries[position].slot else { return nil }
        return bytes.withUnsafeBufferPointer { pointer in
            guard Self.isASCII(pointer) else { return false }
            body(pointer)
            return true
        }
    }
}
