public import NIOCore
public import WeirLog

/// A response on its way to a client, size prefix included: bytes, and for a fetch
/// served from segment files, the spans of the files between them (sent with `sendfile`,
/// never read into memory).
public struct KafkaResponseFrame: Sendable {
    public enum Part: Sendable {
        case bytes(ByteBuffer)
        case file(FileSpan)
    }

    /// The frame's parts in the order they are sent.
    public var parts: [Part]

    init(_ bytes: ByteBuffer) {
        parts = [.bytes(bytes)]
    }

    /// The frame `writer` wrote, cut where its spans belong.
    init(_ writer: KafkaWriter) {
        var buffer = writer.buffer
        parts = []
        for (at, span) in writer.spans {
            if let head = buffer.readSlice(length: at - buffer.readerIndex) { parts.append(.bytes(head)) }
            parts.append(.file(span))
        }
        parts.append(.bytes(buffer))
    }

    /// Its length in bytes, size prefix included.
    public var byteCount: Int {
        parts.reduce(0) { total, part in
            switch part {
            case .bytes(let buffer): total + buffer.readableBytes
            case .file(let span): total + span.length
            }
        }
    }
}
