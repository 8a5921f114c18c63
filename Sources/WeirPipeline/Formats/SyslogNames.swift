/// The names of syslog's facilities and severities (RFC 5424 §6.2.1), as syslog.conf and
/// most tools spell them: `parse_syslog` gives them beside the numbers.
enum SyslogNames {
    static let facilities = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security",
        "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ]

    static let severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
}
