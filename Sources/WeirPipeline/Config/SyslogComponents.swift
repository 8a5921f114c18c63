import WeirLog
import WeirValues

extension ComponentRegistry {
    /// The network sources of syslog senders (docs/connectors.md, `## syslog`).
    static func registerSyslog(into registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec(
                type: "syslog", kind: .source, summary: "syslog messages over TCP (RFC 6587) and UDP, each a record as sent",
                options: [
                    OptionSpec("address", .string, required: true, description: "host:port to listen on; a port alone means 127.0.0.1"),
                    OptionSpec("mode", .oneOf(["tcp", "udp", "both"]), default: .string("both")),
                    OptionSpec(
                        "max_frame_bytes", .integer(16...(16 << 20)), default: .int(Int64(SyslogSource.defaultMaxFrameBytes))),
                ]), source: { try SyslogSource(options: $0) })
    }
}
