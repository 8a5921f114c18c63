public import NIOCore

/// The header in front of every request body: v1 (key, version, correlation id, client
/// id) for classic versions, v2 (the same, then tagged fields) for flexible ones. The
/// client id keeps its int16 length in both.
public struct RequestHeader: Sendable, Equatable {
    public var apiKey: Int16
    public var apiVersion: Int16
    public var correlationID: Int32
    public var clientID: String?

    public init(apiKey: Int16, apiVersion: Int16, correlationID: Int32, clientID: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationID = correlationID
        self.clientID = clientID
    }

    /// Reads the header from the front of a frame (the size prefix already removed) and
    /// leaves `frame` at the body. Whether the header has tags depends on the API's
    /// version, so an API Weir does not know is read as header v1.
    public static func read(from frame: inout ByteBuffer, flexible: (Int16, Int16) -> Bool) throws -> RequestHeader {
        var reader = KafkaReader(frame, flexible: false)
        let key = try reader.int16()
        let version = try reader.int16()
        let correlation = try reader.int32()
        let client = try reader.classicNullableString()
        if flexible(key, version) {
            reader = KafkaReader(reader.buffer, flexible: true)
            try reader.taggedFields()
        }
        frame = reader.buffer
        return RequestHeader(apiKey: key, apiVersion: version, correlationID: correlation, clientID: client)
    }

    public func write(to buffer: inout ByteBuffer, flexible: Bool) {
        var writer = KafkaWriter(buffer, flexible: flexible)
        writer.int16(apiKey)
        writer.int16(apiVersion)
        writer.int32(correlationID)
        writer.classicNullableString(clientID)
        writer.taggedFields()
        buffer = writer.buffer
    }
}
