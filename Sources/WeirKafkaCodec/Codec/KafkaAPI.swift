public import NIOCore

/// One body of a Kafka API, request or response, in every version the listener serves.
/// Decoding reads exactly the fields of `version` (Kafka's message definitions say which);
/// encoding writes them, so `decode(encode(x)) == x` for the fields the version has.
public protocol KafkaMessage: Sendable {
    init(from reader: inout KafkaReader, version: Int16) throws
    func write(to writer: inout KafkaWriter, version: Int16)
}

/// A Kafka API: its key, the versions Weir serves (what ApiVersions advertises), and the
/// first version Kafka's definitions mark flexible (compact encodings, tagged fields).
public protocol KafkaAPI {
    associatedtype Request: KafkaMessage
    associatedtype Response: KafkaMessage
    static var key: APIKey { get }
    static var versions: ClosedRange<Int16> { get }
    static var firstFlexibleVersion: Int16 { get }
}

extension KafkaAPI {
    public static func isFlexible(_ version: Int16) -> Bool { version >= firstFlexibleVersion }

    /// Decodes a request body of `version`; bytes left over are an error.
    public static func decodeRequest(_ body: KafkaReader.Buffer, version: Int16) throws -> Request {
        try decode(Request.self, body, version: version)
    }

    public static func decodeResponse(_ body: KafkaReader.Buffer, version: Int16) throws -> Response {
        try decode(Response.self, body, version: version)
    }

    private static func decode<M: KafkaMessage>(_: M.Type, _ body: KafkaReader.Buffer, version: Int16) throws -> M {
        guard versions.contains(version) else { throw KafkaCodecError.unsupportedVersion(apiKey: key.rawValue, version: version) }
        var reader = KafkaReader(body, flexible: isFlexible(version))
        let message = try M(from: &reader, version: version)
        guard reader.remaining == 0 else { throw KafkaCodecError.trailingBytes(reader.remaining) }
        return message
    }

    public static func encode(_ message: some KafkaMessage, version: Int16) -> KafkaReader.Buffer {
        var writer = KafkaWriter(flexible: isFlexible(version))
        message.write(to: &writer, version: version)
        return writer.buffer
    }
}

extension KafkaReader {
    public typealias Buffer = NIOCore.ByteBuffer
}
