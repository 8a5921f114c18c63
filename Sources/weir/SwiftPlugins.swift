import DedupePlugin
import WeirCluster
import WeirPipeline
import WeirPostgres
import WeirServer
import WeirSyslogTLS

/// The component types of this `weir` binary: the built-ins, the `kafka` source and
/// sink, the `http_server` source, the `postgres` sink, the `syslog` source with TLS,
/// and the Swift plugins compiled into it. To add one, depend on its target in
/// Package.swift and register it here (docs/plugins.md).
enum SwiftPlugins {
    static let registry: ComponentRegistry = {
        var registry = ComponentRegistry.builtIn
        KafkaComponents.register(in: &registry)
        HTTPServerSource.register(in: &registry)
        PostgresComponents.register(in: &registry)
        SyslogTLSComponents.register(in: &registry)
        DedupeRecentTransform.register(in: &registry)
        return registry
    }()
}
