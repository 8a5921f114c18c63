import NIOCore
import NIOPosix

/// The `syslog` source's sockets on one event loop thread of their own: a TCP listener,
/// a UDP socket, or both on the same port.
final class SyslogListener {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channels: [any Channel] = []
    private var closed = false
    /// Where each socket listens (the port the system chose when the address said 0).
    private(set) var bound: [(transport: String, address: String)] = []

    /// Binds `host:port`. With both transports, UDP takes the port TCP got.
    init(
        host: String, port: Int, mode: SyslogSource.Mode, inbox: SyslogInbox, maxFrameBytes: Int,
        security: (any SyslogStreamSecurity)? = nil
    ) throws {
        do {
            var port = port
            if mode != .udp {
                let server = try ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(.backlog, value: 256)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try security?.secure(channel)
                            try channel.pipeline.syncOperations.addHandler(SyslogTCPHandler(inbox: inbox, maxFrameBytes: maxFrameBytes))
                        }
                    }
                    .bind(host: host, port: port).wait()
                channels.append(server)
                port = server.localAddress?.port ?? port
                bound.append(("tcp", Self.describe(server.localAddress, host: host, port: port)))
            }
            if mode != .tcp {
                let socket = try DatagramBootstrap(group: group)
                    .channelOption(.socketOption(.so_reuseaddr), value: 1)
                    // One byte more than a frame may hold: a longer datagram is seen to be.
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: min(maxFrameBytes + 1, 65_536)))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(SyslogUDPHandler(inbox: inbox, maxFrameBytes: maxFrameBytes))
                        }
                    }
                    .bind(host: host, port: port).wait()
                channels.append(socket)
                bound.append(("udp", Self.describe(socket.localAddress, host: host, port: socket.localAddress?.port ?? port)))
            }
        } catch {
            close()
            throw error
        }
    }

    /// Closes the sockets (open connections too) and stops the event loop: every frame
    /// read by then is in the inbox.
    func close() {
        guard !closed else { return }
        closed = true
        try? group.syncShutdownGracefully()
        channels.removeAll()
    }

    private static func describe(_ address: SocketAddress?, host: String, port: Int) -> String {
        let ip = address?.ipAddress ?? host
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
