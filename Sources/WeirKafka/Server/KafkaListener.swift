public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
public import WeirLog

/// Serves an embedded log to Kafka clients over TCP. Each connection's requests are
/// handled one at a time, in order (as Kafka's broker does: clients rely on responses
/// coming back in request order); connections run concurrently.
public final class KafkaListener: Sendable {
    /// The bound address, `host:port` (the port chosen when 0 was asked).
    public let address: String
    public let port: Int
    public let broker: KafkaBroker
    private let server: Task<Void, Never>
    private let channel: any Channel
    private let addressFile: String?

    /// Binds and starts serving; returns once the socket listens, or throws why it cannot.
    public init(log: EmbeddedLog, options: KafkaListenerOptions, logger: Logger) async throws {
        let bound: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            bound = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: options.host, port: options.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls = options.tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: options.maxRequestBytes)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw KafkaListenerError.cannotListen(host: options.host, port: options.port, reason: "\(error)")
        }
        let port = bound.channel.localAddress?.port ?? options.port
        self.port = port
        address = (options.host.contains(":") ? "[\(options.host)]" : options.host) + ":\(port)"
        channel = bound.channel
        addressFile = options.addressFile
        if let file = options.addressFile {
            let connectable = (options.host == "0.0.0.0" || options.host == "::") ? "127.0.0.1:\(port)" : address
            try? FileSystem.writeAtomically(file, Array((connectable + "\n").utf8))
        }
        let broker = try KafkaBroker(
            log: log,
            advertisedHost: options.advertisedHost ?? options.host,
            advertisedPort: options.advertisedPort ?? port,
            autoCreateTopics: options.autoCreateTopics,
            blockingThreads: options.blockingThreads,
            users: options.users,
            // TLS must see the bytes it encrypts: through it, records are read, not sent from the files.
            sendsFromFiles: options.tls == nil,
            resetOffsets: options.resetOffsets,
            logger: logger)
        self.broker = broker
        server = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await bound.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await Self.serve(connection, broker: broker, logger: logger) }
                        }
                    }
                } catch {
                    logger.error("kafka listener stopped", metadata: ["error": "\(error)"])
                }
                group.cancelAll()
            }
        }
    }

    private static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, broker: KafkaBroker, logger: Logger) async {
        let peer = connection.channel.remoteAddress.map { "\($0)" } ?? "?"
        var session = KafkaSession(peer: peer, host: connection.channel.remoteAddress?.ipAddress ?? "?")
        let registered = broker.clients.opened(from: connection.channel.remoteAddress)
        session.connection = registered
        broker.metrics.connectionOpened()
        defer {
            broker.metrics.connectionClosed()
            broker.clients.closed(registered)
        }
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    guard let response = try await broker.handle(frame, session: &session) else { continue }
                    try await send(response, outbound: outbound, channel: connection.channel)
                }
            }
        } catch is CancellationError {
        } catch let error as ChannelError where error == .ioOnClosedChannel || error == .alreadyClosed || error == .eof {
            // The client went away while an answer was on its way: its choice, not a fault.
            logger.debug("kafka client disconnected", metadata: ["peer": "\(peer)", "client": "\(session.clientID ?? "")"])
        } catch NIOSSLError.uncleanShutdown {
            // A TLS client that closed its socket without close_notify, as librdkafka does.
            logger.debug("kafka client disconnected", metadata: ["peer": "\(peer)", "client": "\(session.clientID ?? "")"])
        } catch {
            logger.warning(
                "kafka connection closed", metadata: ["peer": "\(peer)", "client": "\(session.clientID ?? "")", "reason": "\(error)"])
        }
    }

    /// Writes a response. Bytes go through the connection's writer (its back-pressure
    /// holds the next request while the client does not read); a fetch sent from segment
    /// files is written to the channel, and this returns once the socket took it all, so
    /// the files are closed after. Both keep the order: the writer hands each response to
    /// the event loop before `write` returns.
    private static func send(
        _ response: KafkaResponseFrame, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel
    ) async throws {
        if response.parts.count == 1, case .bytes(let buffer) = response.parts[0] {
            try await outbound.write(buffer)
            return
        }
        var handles: [NIOFileHandle] = []
        var parts: [IOData] = []
        for part in response.parts {
            switch part {
            case .bytes(let buffer):
                parts.append(.byteBuffer(buffer))
            case .file(let span):
                let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: span.descriptor)
                handles.append(handle)
                parts.append(
                    .fileRegion(FileRegion(fileHandle: handle, readerIndex: Int(span.offset), endIndex: Int(span.offset) + span.length)))
            }
        }
        defer { for handle in handles { try? handle.close() } }
        // The last write's completion follows the others'.
        for part in parts.dropLast() { channel.write(part, promise: nil) }
        if let last = parts.last { try await channel.writeAndFlush(last) }
    }

    /// Stops accepting, closes every connection, and returns when they are gone.
    public func close() async {
        if let addressFile { try? FileSystem.removeTree(addressFile) }
        try? await channel.close()
        server.cancel()
        await server.value
        await broker.shutdown()
    }
}

public enum KafkaListenerError: Error, CustomStringConvertible {
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let reason): "cannot listen for Kafka clients on \(host):\(port): \(reason)"
        }
    }
}
