public import NIOCore

/// Reads the primitive types of Kafka's protocol from a request or response body, as
/// Kafka's message definitions name them: fixed-width big-endian integers, unsigned
/// varints, strings and arrays with int16/int32 lengths, and from a message's first
/// flexible version their compact forms (length + 1 as an unsigned varint) and tagged
/// fields. Every read checks what is left, so a short or lying frame throws
/// `KafkaCodecError` and never reads past its end.
public struct KafkaReader {
    public var buffer: ByteBuffer
    /// Whether the message is in a flexible version: compact lengths and tagged fields.
    public let flexible: Bool

    public init(_ buffer: ByteBuffer, flexible: Bool) {
        self.buffer = buffer
        self.flexible = flexible
    }

    public var remaining: Int { buffer.readableBytes }

    // MARK: Fixed width

    public mutating func int8() throws -> Int8 { try integer(Int8.self, "int8") }
    public mutating func int16() throws -> Int16 { try integer(Int16.self, "int16") }
    public mutating func int32() throws -> Int32 { try integer(Int32.self, "int32") }
    public mutating func int64() throws -> Int64 { try integer(Int64.self, "int64") }
    public mutating func uint32() throws -> UInt32 { try integer(UInt32.self, "uint32") }
    public mutating func bool() throws -> Bool { try int8() != 0 }

    public mutating func uuid() throws -> [UInt8] {
        guard let bytes = buffer.readBytes(length: 16) else { throw KafkaCodecError.truncated("uuid") }
        return bytes
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        guard let value = buffer.readInteger(as: T.self) else { throw KafkaCodecError.truncated(what) }
        return value
    }

    // MARK: Varints

    /// An unsigned varint of up to 32 bits (compact lengths, tag numbers).
    public mutating func unsignedVarint() throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard let byte = buffer.readInteger(as: UInt8.self) else { throw KafkaCodecError.truncated("varint") }
            guard shift < 32 else { throw KafkaCodecError.malformed("varint longer than 5 bytes") }
            result |= UInt32(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A zigzag-encoded signed varint (Kafka's `varint`), as in record fields.
    public mutating func varint() throws -> Int32 {
        let raw = try unsignedVarint()
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    // MARK: Lengths

    /// A length that may be null (-1): int16/int32 in classic versions, compact varint
    /// (length + 1, 0 = null) in flexible ones.
    private mutating func length(classic16: Bool, _ what: String) throws -> Int? {
        let length: Int
        if flexible {
            length = Int(try unsignedVarint()) - 1
        } else {
            length = classic16 ? Int(try int16()) : Int(try int32())
        }
        if length < 0 {
            guard length == -1 else { throw KafkaCodecError.malformed("\(what) length \(length)") }
            return nil
        }
        guard length <= buffer.readableBytes else { throw KafkaCodecError.truncated(what) }
        return length
    }

    /// The length of an array, checked against the bytes left: every element takes at
    /// least one byte, so a huge count in a small frame is refused before allocating.
    private mutating func count(_ what: String) throws -> Int? {
        let count: Int
        if flexible {
            count = Int(try unsignedVarint()) - 1
        } else {
            count = Int(try int32())
        }
        if count < 0 {
            guard count == -1 else { throw KafkaCodecError.malformed("\(what) count \(count)") }
            return nil
        }
        guard count <= buffer.readableBytes else { throw KafkaCodecError.truncated(what) }
        return count
    }

    // MARK: Strings and bytes

    public mutating func nullableString() throws -> String? {
        guard let length = try length(classic16: true, "string") else { return nil }
        guard let string = buffer.readString(length: length) else { throw KafkaCodecError.truncated("string") }
        return string
    }

    public mutating func string() throws -> String {
        guard let string = try nullableString() else { throw KafkaCodecError.malformed("null where a string is required") }
        return string
    }

    /// A classic (int16 length) string even in flexible versions: the request header's
    /// client id.
    public mutating func classicNullableString() throws -> String? {
        let length = Int(try int16())
        guard length >= 0 else { return nil }
        guard let string = buffer.readString(length: length) else { throw KafkaCodecError.truncated("string") }
        return string
    }

    public mutating func nullableBytes() throws -> ByteBuffer? {
        guard let length = try length(classic16: false, "bytes") else { return nil }
        return buffer.readSlice(length: length)
    }

    public mutating func bytes() throws -> ByteBuffer {
        guard let bytes = try nullableBytes() else { throw KafkaCodecError.malformed("null where bytes are required") }
        return bytes
    }

    // MARK: Arrays

    public mutating func nullableArray<T>(_ element: (inout KafkaReader) throws -> T) throws -> [T]? {
        guard let count = try count("array") else { return nil }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    /// An array; null reads as empty.
    public mutating func array<T>(_ element: (inout KafkaReader) throws -> T) throws -> [T] {
        try nullableArray(element) ?? []
    }

    // MARK: Tagged fields

    /// Skips the tagged fields at the end of a structure in flexible versions (none of
    /// the tags Kafka defines for the served versions matter to Weir).
    public mutating func taggedFields() throws {
        guard flexible else { return }
        let count = try unsignedVarint()
        guard count <= buffer.readableBytes else { throw KafkaCodecError.truncated("tagged fields") }
        for _ in 0..<count {
            _ = try unsignedVarint()
            let size = Int(try unsignedVarint())
            guard buffer.readSlice(length: size) != nil else { throw KafkaCodecError.truncated("tagged field") }
        }
    }
}
