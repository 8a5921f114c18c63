public import WeirPipeline
import WeirValues

/// The `http_server` source's registration: it needs Hummingbird, so it lives here and
/// the `weir` binary registers it beside the `kafka` components (`SwiftPlugins`).
extension HTTPServerSource {
    public static let spec = ComponentSpec(
        type: "http_server", kind: .source, summary: "takes records POSTed over HTTP: lines, NDJSON or JSON (at least once)",
        options: [
            OptionSpec(
                "address", .string, required: true,
                description: "HOST:PORT, [IPv6]:PORT or a port (on 127.0.0.1); port 0 picks one (it is logged)"),
            OptionSpec("path", .string, default: .string("/"), description: "the path POSTs go to"),
            OptionSpec(
                "max_body_bytes", .integer(1...(1 << 30)), default: .int(Int64(HTTPServerOptions.defaultMaxBodyBytes)),
                description: "a larger body is answered 413"),
            OptionSpec("token", .string, description: "the bearer token requests must carry (required beyond loopback, or token_file)"),
            OptionSpec("token_file", .string, description: "a file whose first line is the token"),
        ])

    public static func register(in registry: inout ComponentRegistry) {
        register(in: &registry, status: { _ in HTTPServerStatus() })
    }

    /// Registers it with `status` giving each source made the place it tells its
    /// address and requests in progress (tests ask for port 0 and read the port there).
    public static func register(
        in registry: inout ComponentRegistry, status: @escaping @Sendable (ComponentOptions) -> HTTPServerStatus
    ) {
        registry.register(spec) { options in
            HTTPServerSource(options: try HTTPServerOptions(options), status: status(options))
        }
    }
}
