import NIOCore

/// Splits a connection's bytes into Kafka frames: an int32 size, then that many bytes.
/// A negative size or one over the listener's limit (Kafka's `socket.request.max.bytes`)
/// is an error that closes this connection only, before any of the frame is buffered.
struct KafkaFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let maxFrameBytes: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 0, Int(size) <= maxFrameBytes else { throw KafkaFrameError(size: Int(size), limit: maxFrameBytes) }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(size))!))
        return .continue
    }
}

/// A frame whose size prefix is negative or over the listener's limit.
struct KafkaFrameError: Error, CustomStringConvertible {
    var size: Int
    var limit: Int

    var description: String {
        size < 0 ? "a frame with negative size \(size)" : "a frame of \(size) bytes, over the limit of \(limit) (--kafka-max-request-bytes)"
    }
}
