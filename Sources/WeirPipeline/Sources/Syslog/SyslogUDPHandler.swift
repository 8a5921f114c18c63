import NIOCore

/// The `syslog` source's UDP socket: each datagram is one message (RFC 5426). UDP
/// cannot be paused or replayed, so a datagram that finds the inbox full is dropped and
/// counted.
final class SyslogUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let inbox: SyslogInbox
    private let maxFrameBytes: Int

    init(inbox: SyslogInbox, maxFrameBytes: Int) {
        self.inbox = inbox
        self.maxFrameBytes = maxFrameBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        envelope.data.withUnsafeReadableBytes { inbox.add(datagram: $0, maxFrameBytes: maxFrameBytes) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // An ICMP error or a failed read of one datagram: the socket goes on.
    }
}
