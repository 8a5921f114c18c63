public import NIOCore

/// What secures the `syslog` source's TCP connections (TLS, RFC 5425): it puts its
/// handlers first in each accepted connection's pipeline, so the framer reads plain
/// bytes. The TLS itself is WeirSyslogTLS's (swift-nio-ssl): this target, and the fuzz
/// builds that use it, stay without BoringSSL.
public protocol SyslogStreamSecurity: Sendable {
    /// Adds the handlers to a new connection's pipeline, on its event loop.
    func secure(_ channel: any Channel) throws
}
