import NIOCore

/// One TCP connection of the `syslog` source: frames what it reads into the inbox, and
/// holds its reads while the inbox is full (NIO reads only when a `read` reaches the
/// channel, so a held `read` is a connection that is not read: the sender's writes stop
/// once the socket buffers fill).
final class SyslogTCPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never

    private let inbox: SyslogInbox
    private var framer: SyslogFramer
    private var context: ChannelHandlerContext?
    /// What the inbox calls, from the source's thread, once it has room again (made once).
    private var resumer: @Sendable () -> Void = {}
    /// The inbox was full after this connection's last frames: reads wait.
    private var paused = false
    /// A read was asked for while paused.
    private var readHeld = false
    /// A framing error closed the connection: what is still delivered is dropped.
    private var failed = false

    init(inbox: SyslogInbox, maxFrameBytes: Int) {
        self.inbox = inbox
        framer = SyslogFramer(maxFrameBytes: maxFrameBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        resumer = { handler.eventLoop.execute { handler.value.resume() } }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        resumer = {}  // the closure holds the handler: no cycle left behind
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        var failure: SyslogFramer.FramingError?
        let paused = inbox.add(resume: resumer) { batch in
            buffer.withUnsafeReadableBytes { bytes in
                do throws(SyslogFramer.FramingError) { try framer.feed(bytes, into: &batch) } catch {
                    batch.rejected.append((error.head, error.description))
                    failure = error
                }
            }
        }
        if paused { self.paused = true }
        if failure != nil {
            failed = true
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        _ = inbox.add(resume: {}) { framer.finish(into: &$0) }
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if paused {
            readHeld = true
        } else {
            context.read()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset connection: what it sent before is framed; the rest is the sender's.
        context.close(promise: nil)
    }

    private func resume() {
        paused = false
        guard readHeld, let context else { return }
        readHeld = false
        context.read()
    }
}
