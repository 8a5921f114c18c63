/// Reads Kafka's big-endian integers and zigzag varints from a byte range, bounds-checked.
///
/// Every read throws `ByteReader.Truncated` instead of reading past the end, so a
/// corrupt or cut batch becomes an error, never a crash.
struct ByteReader {
    struct Truncated: Error {}
    struct Malformed: Error { let reason: String }

    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int

    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    @inline(__always)
    mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw Truncated() }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(bigEndian: value)
    }

    @inline(__always)
    mutating func readVarint() throws -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw Truncated() }
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            guard shift < 64 else { throw Malformed(reason: "varint longer than 10 bytes") }
        }
        return Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1)
    }

    /// The next `count` bytes.
    mutating func readSlice(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else { throw Truncated() }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    /// A length-prefixed field: -1 is null.
    @inline(__always)
    mutating func readLengthPrefixed() throws -> UnsafeRawBufferPointer? {
        let length = try readVarint()
        if length == -1 { return nil }
        guard length >= 0 else { throw Malformed(reason: "negative length \(length)") }
        guard Int64(remaining) >= length else { throw Truncated() }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<position + Int(length)])
        position += Int(length)
        return slice
    }
}
