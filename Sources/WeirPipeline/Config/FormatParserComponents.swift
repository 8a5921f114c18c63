import WeirValues

extension ComponentRegistry {
    /// `parse_syslog`, `parse_apache_log` and `parse_nginx_log`: parsers of well-known log
    /// formats, hand-written over the line's bytes.
    static func registerFormatParsers(into registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec(
                type: "parse_syslog", kind: .transform, summary: "an RFC 5424 or RFC 3164 syslog message becomes fields",
                options: [OptionSpec("field", .string), OptionSpec("format", .oneOf(["auto", "rfc5424", "rfc3164"]))]),
            transform: { options in
                ParseSyslogTransform(
                    field: options.string("field") ?? "message", format: options.choice("format", default: SyslogMessage.Format.auto))
            })
        registry.register(
            ComponentSpec(
                type: "parse_apache_log", kind: .transform, summary: "an Apache access or error log line becomes fields",
                options: [OptionSpec("field", .string), OptionSpec("format", .oneOf(["common", "combined", "error"]))]),
            transform: { options in
                let format: ParseWebLogTransform.Format =
                    switch options.string("format") {
                    case "common": .common
                    case "error": .apacheError
                    default: .combined
                    }
                return ParseWebLogTransform(type: "parse_apache_log", field: options.string("field") ?? "message", format: format)
            })
        registry.register(
            ComponentSpec(
                type: "parse_nginx_log", kind: .transform, summary: "an nginx access or error log line becomes fields",
                options: [OptionSpec("field", .string), OptionSpec("format", .oneOf(["combined", "error"]))]),
            transform: { options in
                ParseWebLogTransform(
                    type: "parse_nginx_log", field: options.string("field") ?? "message",
                    format: options.string("format") == "error" ? .nginxError : .combined)
            })
    }
}
