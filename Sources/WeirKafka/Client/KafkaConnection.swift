import Foundation
public import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Why a wire exchange failed.
public enum KafkaConnectionError: Error, CustomStringConvertible {
    case connect(String, Int32)
    case closed(String)
    case timedOut(String)
    case io(String, Int32)
    case wrongCorrelation(expected: Int32, got: Int32)

    public var description: String {
        switch self {
        case .connect(let address, let errno): "cannot connect to \(address): \(String(cString: strerror(errno)))"
        case .closed(let what): "the broker closed the connection \(what)"
        case .timedOut(let what): "no answer in time \(what)"
        case .io(let what, let errno): "\(what): \(String(cString: strerror(errno)))"
        case .wrongCorrelation(let expected, let got): "response for correlation id \(got), expected \(expected)"
        }
    }
}

/// A blocking Kafka client on one TCP connection, speaking the protocol with WeirKafka's
/// codecs: a request is a size-prefixed frame of a `RequestHeader` and a body, a response a
/// size-prefixed frame of the correlation id (and tagged fields for a flexible version,
/// except ApiVersions, whose response header never has them) and a body.
///
/// Every receive has a timeout, so a broker that never answers fails instead of hanging.
/// One thread at a time uses a connection (hence `@unchecked Sendable`); it blocks, so it
/// belongs on a thread of its own, never on Swift's cooperative pool. The `weir` CLI talks
/// to a running listener with it; the wire tests too.
public final class KafkaConnection: @unchecked Sendable {
    public let address: String
    public let clientID: String
    private let fd: Int32
    private var nextCorrelation: Int32 = 1

    /// Connects to `host:port`; every read waits at most `timeout` seconds.
    public init(_ address: String, clientID: String = "weir", timeout: Double = 20) throws {
        self.address = address
        self.clientID = clientID
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw KafkaConnectionError.connect(address, EINVAL)
        }
        let host = String(address[..<colon])
        // Close-on-exec: a `weir` child spawned by another test must not hold this connection open.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw KafkaConnectionError.io("socket", errno) }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &socketAddress.sin_addr) == 1 else {
            close(fd)
            throw KafkaConnectionError.connect(address, EINVAL)
        }
        let connected = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            close(fd)
            throw KafkaConnectionError.connect(address, error)
        }
        var wait = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    deinit { close(fd) }

    // MARK: Requests

    /// Sends a request of `version` (header v2 for a flexible version, else v1); its
    /// correlation id.
    @discardableResult
    public func send<API: KafkaAPI>(_ api: API.Type, _ request: API.Request, version: Int16) throws -> Int32 {
        let correlation = nextCorrelation
        nextCorrelation += 1
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        RequestHeader(apiKey: API.key.rawValue, apiVersion: version, correlationID: correlation, clientID: clientID)
            .write(to: &frame, flexible: API.isFlexible(version))
        var body = API.encode(request, version: version)
        frame.writeBuffer(&body)
        frame.setInteger(Int32(frame.readableBytes - 4), at: frame.readerIndex)
        try sendRaw(Array(frame.readableBytesView))
        return correlation
    }

    /// Reads the next response frame, expecting `correlation`, and decodes its body as `API`'s
    /// response of `version`.
    public func receive<API: KafkaAPI>(_ api: API.Type, version: Int16, correlation: Int32) throws -> API.Response {
        var frame = try readFrame()
        guard let got = frame.readInteger(as: Int32.self) else { throw KafkaCodecError.truncated("correlation id") }
        guard got == correlation else { throw KafkaConnectionError.wrongCorrelation(expected: correlation, got: got) }
        if API.isFlexible(version) && API.key != .apiVersions {
            var reader = KafkaReader(frame, flexible: true)
            try reader.taggedFields()
            frame = reader.buffer
        }
        return try API.decodeResponse(frame, version: version)
    }

    /// Sends a request and reads its response.
    public func request<API: KafkaAPI>(_ api: API.Type, _ request: API.Request, version: Int16) throws -> API.Response {
        let correlation = try send(api, request, version: version)
        return try receive(api, version: version, correlation: correlation)
    }

    /// `request` on a thread of its own.

    // MARK: Raw bytes

    public func sendRaw(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw KafkaConnectionError.io("send to \(address)", errno)
            }
            sent += count
        }
    }

    /// One response frame without its size prefix.
    public func readFrame() throws -> ByteBuffer {
        let prefix = try readExactly(4)
        let size = Int(Int32(bigEndian: prefix.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
        guard size >= 0 else { throw KafkaCodecError.malformed("response frame size \(size)") }
        return ByteBuffer(bytes: try readExactly(size))
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress! + got, count - got, 0) }
            if n == 0 { throw KafkaConnectionError.closed("while a response was expected") }
            if n < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: throw KafkaConnectionError.timedOut("from \(address)")
                case ECONNRESET: throw KafkaConnectionError.closed("(reset) while a response was expected")
                default: throw KafkaConnectionError.io("recv from \(address)", errno)
                }
            }
            got += n
        }
        return bytes
    }

    /// Whether the broker closes the connection within `seconds`: end of stream or a reset,
    /// with nothing to read before it. Data to read, or silence until then, is "not closed".
    public func isClosed(within seconds: Double) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return false }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n == 0 { return true }
        return n < 0 && (errno == ECONNRESET || errno == EPIPE)
    }
}
