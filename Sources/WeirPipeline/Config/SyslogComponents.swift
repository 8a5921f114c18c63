import WeirLog
import WeirValues

extension ComponentRegistry {
    /// The network sources of syslog senders (docs/connectors.md, `## syslog`).
    static func registerSyslog(into registry: inout ComponentRegistry) {
        registry.register(SyslogSource.spec, source: { try SyslogSource(options: $0) })
    }
}

extension SyslogSource {
    /// The `syslog` source's options. `tls` is listed here too, so that a pipeline is
    /// checked alike everywhere; the built-in factory refuses it, and WeirSyslogTLS
    /// registers the source again with a factory that makes its TLS.
    package static let spec = ComponentSpec(
        type: "syslog", kind: .source, summary: "syslog messages over TCP (RFC 6587, optionally TLS) and UDP, each a record as sent",
        options: [
            OptionSpec("address", .string, required: true, description: "host:port to listen on; a port alone means 127.0.0.1"),
            OptionSpec("mode", .oneOf(["tcp", "udp", "both"]), default: .string("both")),
            OptionSpec("max_frame_bytes", .integer(16...(16 << 20)), default: .int(Int64(SyslogSource.defaultMaxFrameBytes))),
            OptionSpec(
                "tls",
                .object(
                    OptionSchema([
                        OptionSpec("certificate", .string, required: true, description: "the server's certificate chain (PEM)"),
                        OptionSpec("key", .string, required: true, description: "its private key (PEM)"),
                        OptionSpec(
                            "client_ca", .string, description: "CA certificates (PEM): clients must present a certificate they signed"),
                    ])), description: "TLS on TCP (RFC 5425); needs mode: tcp"),
        ])
}
