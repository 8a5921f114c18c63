public import NIOCore
public import WeirLog

/// Writes the primitive types of Kafka's protocol, the mirror of `KafkaReader`: classic
/// int16/int32 lengths, or in flexible versions compact lengths and tagged fields.
public struct KafkaWriter {
    public var buffer: ByteBuffer
    public let flexible: Bool
    /// Bytes left out of `buffer` to be sent from segment files (`bytes(onDisk:)`): each
    /// belongs at its writer index, in order.
    public var spans: [(at: Int, span: FileSpan)] = []

    public init(_ buffer: ByteBuffer = ByteBuffer(), flexible: Bool) {
        self.buffer = buffer
        self.flexible = flexible
    }

    // MARK: Fixed width

    public mutating func int8(_ value: Int8) { buffer.writeInteger(value) }
    public mutating func int16(_ value: Int16) { buffer.writeInteger(value) }
    public mutating func int32(_ value: Int32) { buffer.writeInteger(value) }
    public mutating func int64(_ value: Int64) { buffer.writeInteger(value) }
    public mutating func uint32(_ value: UInt32) { buffer.writeInteger(value) }
    public mutating func bool(_ value: Bool) { buffer.writeInteger(Int8(value ? 1 : 0)) }
    public mutating func uuid(_ value: [UInt8]) {
        precondition(value.count == 16, "a uuid is 16 bytes")
        buffer.writeBytes(value)
    }

    // MARK: Varints

    public mutating func unsignedVarint(_ value: UInt32) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }

    public mutating func varint(_ value: Int32) {
        unsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    // MARK: Lengths

    private mutating func length(_ length: Int?, classic16: Bool) {
        if flexible {
            unsignedVarint(UInt32((length ?? -1) + 1))
        } else if classic16 {
            int16(Int16(length ?? -1))
        } else {
            int32(Int32(length ?? -1))
        }
    }

    // MARK: Strings and bytes

    public mutating func nullableString(_ value: String?) {
        guard let value else { return length(nil, classic16: true) }
        length(value.utf8.count, classic16: true)
        buffer.writeString(value)
    }

    public mutating func string(_ value: String) { nullableString(value) }

    /// The request header's client id: an int16 length even in flexible versions.
    public mutating func classicNullableString(_ value: String?) {
        guard let value else { return int16(-1) }
        int16(Int16(value.utf8.count))
        buffer.writeString(value)
    }

    public mutating func nullableBytes(_ value: ByteBuffer?) {
        guard var value else { return length(nil, classic16: false) }
        length(value.readableBytes, classic16: false)
        buffer.writeBuffer(&value)
    }

    public mutating func bytes(_ value: ByteBuffer) { nullableBytes(value) }

    /// Bytes that are in a segment file: their length is written, the bytes are not (they
    /// go out with `sendfile` where `spans` says).
    public mutating func bytes(onDisk span: FileSpan) {
        length(span.length, classic16: false)
        spans.append((buffer.writerIndex, span))
    }

    public mutating func bytes(_ value: [UInt8]) {
        length(value.count, classic16: false)
        buffer.writeBytes(value)
    }

    // MARK: Arrays

    public mutating func nullableArray<T>(_ values: [T]?, _ element: (inout KafkaWriter, T) -> Void) {
        guard let values else { return length(nil, classic16: false) }
        length(values.count, classic16: false)
        for value in values { element(&self, value) }
    }

    public mutating func array<T>(_ values: [T], _ element: (inout KafkaWriter, T) -> Void) {
        nullableArray(values, element)
    }

    // MARK: Tagged fields

    /// No tagged fields (flexible versions only; nothing in classic ones).
    public mutating func taggedFields() {
        if flexible { unsignedVarint(0) }
    }
}
