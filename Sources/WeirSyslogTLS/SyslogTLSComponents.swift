public import WeirPipeline

/// The `syslog` source registered again, this time with TLS: the `weir` binary calls this
/// after the built-ins (`SwiftPlugins`), so its `syslog` takes the `tls` option that the
/// built-in one refuses. swift-nio-ssl (BoringSSL) stays out of WeirPipeline and of the
/// fuzz builds that link it.
public enum SyslogTLSComponents {
    public static func register(in registry: inout ComponentRegistry) {
        registry.register(SyslogSource.spec) { options in
            try SyslogSource(options: options, security: { try SyslogTLS(options: $0) })
        }
    }
}
