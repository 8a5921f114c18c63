/// Weir's own grok pattern library: the names Logstash users know (see Elastic's
/// documentation of the grok filter), each written here as a PCRE2 regex over other
/// names. `parse_grok` looks a name up here unless `pattern_definitions` gives it.
///
/// What these promise, where Logstash's differ or say nothing:
/// - Only the composite log formats capture (SYSLOGBASE, SYSLOGPROG, SYSLOGFACILITY,
///   COMMONAPACHELOG, COMBINEDAPACHELOG), with Logstash's legacy (non-ECS) field names;
///   building blocks such as URIHOST never add a field of their own.
/// - Numbers and addresses do not start or end in the middle of a longer run of digits
///   (lookarounds), so an unanchored `%{IPV4}` does not take `1.2.3.45` out of `1.2.3.456`.
/// - Month, day and level names are English, in any case.
/// - HOSTNAME labels may hold `_` (syslog hosts often do) but neither start nor end with `-`.
enum GrokStandardPatterns {
    static let definitions: [String: String] = [
        // Names and text.
        "USERNAME": #"[A-Za-z0-9._-]+"#,
        "USER": #"%{USERNAME}"#,
        "EMAILLOCALPART": #"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"#,
        "EMAILADDRESS": #"%{EMAILLOCALPART}@%{HOSTNAME}"#,
        "HTTPDUSER": #"%{EMAILADDRESS}|%{USER}"#,
        "WORD": #"\b\w+\b"#,
        "NOTSPACE": #"\S+"#,
        "SPACE": #"\s*"#,
        "DATA": #".*?"#,
        "GREEDYDATA": #".*"#,
        // A string in double quotes, single quotes or backticks, with backslash escapes
        // (an unrolled loop, possessive, so a long unterminated string fails in one pass).
        "QUOTEDSTRING": #""[^"\\]*+(?:\\.[^"\\]*+)*+"|'[^'\\]*+(?:\\.[^'\\]*+)*+'|`[^`\\]*+(?:\\.[^`\\]*+)*+`"#,
        "QS": #"%{QUOTEDSTRING}"#,
        "UUID": #"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f-])"#,

        // Numbers.
        "INT": #"(?<![0-9+-])[+-]?[0-9]+(?![0-9])"#,
        "BASE10NUM": #"(?<![0-9.+-])[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?![0-9])"#,
        "NUMBER": #"%{BASE10NUM}"#,
        "BASE16NUM": #"(?<![0-9A-Za-z_+-])[+-]?(?:0[xX])?[0-9A-Fa-f]+(?![0-9A-Za-z_])"#,
        "POSINT": #"\b[1-9][0-9]*\b"#,
        "NONNEGINT": #"\b[0-9]+\b"#,

        // Network addresses.
        "CISCOMAC": #"(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}"#,
        "WINDOWSMAC": #"(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}"#,
        "COMMONMAC": #"(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}"#,
        "MAC": #"%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC}"#,
        "IPV4OCTET": #"25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]"#,
        "IPV4": #"(?<![0-9.])%{IPV4OCTET}(?:\.%{IPV4OCTET}){3}(?![0-9])"#,
        // Eight groups, or `::` standing for one or more zero groups between i leading and
        // j trailing groups (i + j <= 7), or an IPv4 address as the last 32 bits; then an
        // optional zone (`%eth0`). Forms with an IPv4 tail come first, and the address may
        // not be followed by more hex or `:`, so the longest reading wins even unanchored.
        "IPV6HEX": #"[0-9A-Fa-f]{1,4}"#,
        "IPV6": #"""
        (?:(?:%{IPV6HEX}:){6}%{IPV4}\#
        |::(?:%{IPV6HEX}:){0,5}%{IPV4}\#
        |(?:%{IPV6HEX}:){1,5}(?::%{IPV6HEX}){0,4}:%{IPV4}\#
        |(?:%{IPV6HEX}:){7}%{IPV6HEX}\#
        |(?:%{IPV6HEX}:){1,6}(?::%{IPV6HEX}){1}\#
        |(?:%{IPV6HEX}:){1,5}(?::%{IPV6HEX}){1,2}\#
        |(?:%{IPV6HEX}:){1,4}(?::%{IPV6HEX}){1,3}\#
        |(?:%{IPV6HEX}:){1,3}(?::%{IPV6HEX}){1,4}\#
        |(?:%{IPV6HEX}:){1,2}(?::%{IPV6HEX}){1,5}\#
        |%{IPV6HEX}:(?::%{IPV6HEX}){1,6}\#
        |:(?::%{IPV6HEX}){1,7}\#
        |(?:%{IPV6HEX}:){1,7}:\#
        |::)(?:%[0-9A-Za-z._-]+)?(?![0-9A-Fa-f:])
        """#,
        // IPv4 first: logs hold more of them, and IPV4 fails at once on an IPv6 address (it
        // cannot match where one starts), while IPV6 tries a dozen forms on an IPv4 one.
        "IP": #"%{IPV4}|%{IPV6}"#,
        "HOSTNAME": #"\b[0-9A-Za-z](?:[0-9A-Za-z_-]{0,61}[0-9A-Za-z_])?(?:\.[0-9A-Za-z](?:[0-9A-Za-z_-]{0,61}[0-9A-Za-z_])?)*"#,
        "IPORHOST": #"%{IP}|%{HOSTNAME}"#,
        "HOSTPORT": #"%{IPORHOST}:%{POSINT}"#,

        // Paths and URIs (RFC 3986's characters for a path segment).
        "UNIXPATH": #"(?:/[^/\s?#"]*)+"#,
        "WINPATH": #"(?:[A-Za-z]:|\\\\[^\\\s]+)(?:\\[^\\\s?*"<>|]*)+"#,
        "PATH": #"%{UNIXPATH}|%{WINPATH}"#,
        "URIPROTO": #"[A-Za-z][A-Za-z0-9+.-]*"#,
        "URIHOST": #"%{IPORHOST}(?::%{POSINT})?"#,
        "URIPATH": #"(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)+"#,
        "URIPARAM": ##"\?[^\s"#]*(?:#[^\s"]*)?"##,
        "URIPATHPARAM": #"%{URIPATH}(?:%{URIPARAM})?"#,
        "URI": #"%{URIPROTO}://(?:[^@/\s]*@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?"#,

        // Dates and times.
        "MONTH":
            #"\b(?i:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b"#,
        "MONTHNUM": #"\b(?:1[0-2]|0?[1-9])\b"#,
        "MONTHDAY": #"(?:3[01]|[12][0-9]|0[1-9]|[1-9])"#,
        "DAY": #"\b(?i:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)\b"#,
        "YEAR": #"(?<![0-9])(?:[0-9]{4}|[0-9]{2})(?![0-9])"#,
        "HOUR": #"(?:2[0-3]|[01]?[0-9])"#,
        "MINUTE": #"[0-5][0-9]"#,
        // 60 for a leap second; a fraction after `.`, `,` or `:`.
        "SECOND": #"(?:60|[0-5]?[0-9])(?:[.,:][0-9]+)?"#,
        "TIME": #"(?<![0-9])%{HOUR}:%{MINUTE}(?::%{SECOND})?(?![0-9])"#,
        "DATE_US": #"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}"#,
        "DATE_EU": #"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}"#,
        "DATE": #"%{DATE_US}|%{DATE_EU}"#,
        "DATESTAMP": #"%{DATE}[- ]%{TIME}"#,
        "TZ": #"\b(?:UTC|GMT|[AECMP][SD]T)\b"#,
        "ISO8601_TIMEZONE": #"Z|[+-]%{HOUR}(?::?%{MINUTE})?"#,
        "TIMESTAMP_ISO8601": #"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?(?:%{ISO8601_TIMEZONE})?"#,
        "HTTPDATE": #"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}"#,
        "HTTPDERROR_DATE": #"%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}"#,
        "SYSLOGTIMESTAMP": #"%{MONTH} +%{MONTHDAY} %{TIME}"#,

        // Syslog (RFC 3164 as daemons write it to files).
        "PROG": #"[^\s:\[\]]+"#,
        "SYSLOGPROG": #"%{PROG:program}(?:\[%{POSINT:pid}\])?"#,
        "SYSLOGHOST": #"%{IPORHOST}"#,
        "SYSLOGFACILITY": #"<%{NONNEGINT:facility}\.%{NONNEGINT:priority}>"#,
        "SYSLOGBASE": #"%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:"#,
        "LOGLEVEL":
            #"\b(?i:alert|trace|debug|notice|info(?:rmation)?|warn(?:ing)?|err(?:or)?|crit(?:ical)?|fatal|severe|emerg(?:ency)?)\b"#,

        // Apache httpd's Common and Combined Log Formats.
        "COMMONAPACHELOG": #"""
        %{IPORHOST:clientip} %{HTTPDUSER:ident} %{USER:auth} \[%{HTTPDATE:timestamp}\] \#
        "(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" \#
        %{NUMBER:response} (?:%{NUMBER:bytes}|-)
        """#,
        "COMBINEDAPACHELOG": #"%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent}"#,
    ]
}
