import NIOCore
import Testing
import WeirKafka

/// Shared by the consumer-group API tests: round trips through an API's served versions and
/// through its first flexible version, and the wire encodings of Kafka's primitive types
/// written out by hand for byte-level expectations.
enum GroupWire {
    /// Encodes and decodes a request and a response at `version` with the API's own coder
    /// (which refuses versions it does not serve), expecting both back unchanged.
    static func expectRoundTrip<API: KafkaAPI>(
        _: API.Type, _ request: API.Request, _ response: API.Response, version: Int16
    ) throws where API.Request: Equatable, API.Response: Equatable {
        #expect(try API.decodeRequest(API.encode(request, version: version), version: version) == request)
        #expect(try API.decodeResponse(API.encode(response, version: version), version: version) == response)
    }

    /// Encodes and decodes a message in a flexible version (not served, so directly with the
    /// message's coder), expecting it back unchanged and every byte read.
    static func expectFlexibleRoundTrip<M: KafkaMessage & Equatable>(_ message: M, version: Int16) throws {
        var writer = KafkaWriter(flexible: true)
        message.write(to: &writer, version: version)
        var reader = KafkaReader(writer.buffer, flexible: true)
        #expect(try M(from: &reader, version: version) == message)
        #expect(reader.remaining == 0)
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }
    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
    static func buffer(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }

    static func i16(_ value: Int16) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func i32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func i64(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    /// A classic string: int16 length, then UTF-8.
    static func string(_ value: String) -> [UInt8] { i16(Int16(value.utf8.count)) + Array(value.utf8) }
    /// A classic null string or array: -1 as int16 / int32.
    static let nullString: [UInt8] = [0xff, 0xff]
    static let nullArray: [UInt8] = [0xff, 0xff, 0xff, 0xff]
    /// Classic bytes: int32 length, then the bytes.
    static func bytesField(_ value: [UInt8]) -> [UInt8] { i32(Int32(value.count)) + value }
    /// A compact string shorter than 127 bytes: length + 1 in one varint byte.
    static func compactString(_ value: String) -> [UInt8] { [UInt8(value.utf8.count + 1)] + Array(value.utf8) }
}
