import Foundation
import Testing
import WeirValues

@testable import WeirPipeline

/// Weir's grok library: every name compiles, and the ones logs lean on match what they
/// should and nothing else.
@Suite("Grok patterns")
struct GrokPatternTests {
    static let library = GrokLibrary()

    /// The captures of `pattern` over `line` as strings, by field name; nil without a match.
    static func captures(_ pattern: String, _ line: String, library: GrokLibrary = library) throws -> [String: String]? {
        let grok = try library.compile(pattern)
        let matcher = grok.regex.matcher()
        var found: [String: String] = [:]
        let bytes = Array(line.utf8)
        let matched = bytes.withUnsafeBufferPointer { buffer in
            matcher.match(buffer) { group, range in
                found[grok.captures[group].name] = String(decoding: bytes[range], as: UTF8.self)
            }
        }
        return matched ? found : nil
    }

    static func matches(_ pattern: String, _ line: String) throws -> Bool { try captures(pattern, line) != nil }

    static let required = """
        USERNAME USER EMAILLOCALPART EMAILADDRESS INT BASE10NUM NUMBER BASE16NUM POSINT NONNEGINT WORD NOTSPACE SPACE DATA
        GREEDYDATA QUOTEDSTRING QS UUID MAC IPV6 IPV4 IP HOSTNAME IPORHOST HOSTPORT PATH UNIXPATH URIPROTO URIHOST URIPATH
        URIPARAM URIPATHPARAM URI MONTH MONTHNUM MONTHDAY DAY YEAR HOUR MINUTE SECOND TIME DATE_US DATE_EU ISO8601_TIMEZONE
        TIMESTAMP_ISO8601 DATE DATESTAMP TZ HTTPDATE SYSLOGTIMESTAMP PROG SYSLOGPROG SYSLOGHOST SYSLOGFACILITY SYSLOGBASE
        LOGLEVEL COMMONAPACHELOG COMBINEDAPACHELOG HTTPDERROR_DATE
        """.split(whereSeparator: \.isWhitespace).map(String.init)

    @Test("the library has every name the brief of issue 16 lists")
    func requiredNames() {
        let missing = Self.required.filter { GrokStandardPatterns.definitions[$0] == nil }
        #expect(missing.isEmpty, "missing: \(missing)")
    }

    @Test("every name resolves and compiles into one regex", arguments: GrokStandardPatterns.definitions.keys.sorted())
    func compiles(name: String) throws {
        let grok = try Self.library.compile("%{\(name)}")
        #expect(!grok.regex.pattern.contains("%{"))
    }

    @Test(
        "IPV4 and IP take addresses and refuse what is not one",
        arguments: [
            ("0.0.0.0", true), ("192.168.1.254", true), ("255.255.255.255", true), ("10.0.0.1", true),
            ("256.1.1.1", false), ("1.2.3", false), ("1.2.3.4.5", false), ("01.2.3.4x", false), ("a.b.c.d", false),
        ])
    func ipv4(text: String, valid: Bool) throws {
        #expect(try Self.matches("^%{IPV4}$", text) == valid)
        #expect(try Self.matches("^%{IP}$", text) == valid)
    }

    @Test(
        "IPV6 takes every compressed form and an IPv4 tail, and refuses what is not one",
        arguments: [
            ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", true), ("2001:db8::8a2e:370:7334", true), ("::1", true), ("::", true),
            ("fe80::1%eth0", true), ("2001:db8::", true), ("1::", true), ("1:2:3:4:5:6:7::", true), ("::ffff:192.0.2.128", true),
            ("64:ff9b::192.0.2.33", true), ("1:2:3:4:5:6:1.2.3.4", true), ("FE80::0202:B3FF:FE1E:8329", true),
            ("1:2:3:4:5:6:7:8:9", false), ("12345::1", false), ("1::2::3", false), (":::", false), ("gggg::1", false),
            ("1.2.3.4", false), ("1:2:3:4:5:6:7", false), ("2001:db8:::1", false),
        ])
    func ipv6(text: String, valid: Bool) throws {
        #expect(try Self.matches("^%{IPV6}$", text) == valid)
        if valid { #expect(try Self.matches("^%{IP}$", text)) }
    }

    @Test("an unanchored IPV6 takes the whole address, not the shortest reading")
    func ipv6Longest() throws {
        #expect(try Self.captures("from %{IPV6:ip}", "from fe80::1 port 22")?["ip"] == "fe80::1")
        #expect(try Self.captures("from %{IPV6:ip}", "from 2001:db8::8a2e:370:7334")?["ip"] == "2001:db8::8a2e:370:7334")
        #expect(try Self.captures("%{IP:ip}", "host ::ffff:10.1.2.3 said")?["ip"] == "::ffff:10.1.2.3")
    }

    @Test(
        "TIMESTAMP_ISO8601 takes ISO 8601 times with or without zone and fraction",
        arguments: [
            ("2024-03-10T06:25:00Z", true), ("2024-03-10 06:25:00", true), ("2024-03-10T06:25:00.123+01:00", true),
            ("2024-03-10T06:25:00,5-0530", true), ("2024-03-10T06:25", true), ("2015-10-18T18:01:47.978+0000", true),
            ("2024-13-10T06:25:00Z", false), ("2024-03-10T24:00:00", false), ("2024-03-10T06:61:00", false),
            ("2024/03/10 06:25:00", false), ("20240310T062500Z", false), ("2024-03-10", false), ("yesterday", false),
        ])
    func iso8601(text: String, valid: Bool) throws {
        #expect(try Self.matches("^%{TIMESTAMP_ISO8601}$", text) == valid)
    }

    @Test(
        "UUID takes 8-4-4-4-12 hex digits in any case",
        arguments: [
            ("123e4567-e89b-12d3-a456-426614174000", true), ("00000000-0000-0000-0000-000000000000", true),
            ("A987FBC9-4BED-3078-CF07-9141BA07C9F3", true), ("123e4567-e89b-12d3-a456-42661417400", false),
            ("123e4567e89b12d3a456426614174000", false), ("123e4567-e89b-12d3-a456-4266141740000", false),
            ("g23e4567-e89b-12d3-a456-426614174000", false),
        ])
    func uuid(text: String, valid: Bool) throws {
        #expect(try Self.matches("^%{UUID}$", text) == valid)
        // Not a UUID inside a longer run of hex either.
        #expect(try Self.matches("%{UUID}", "id=\(text)") == valid)
    }

    @Test("numbers, words and the other building blocks")
    func buildingBlocks() throws {
        #expect(try Self.captures("%{NUMBER:n}", "took -12.5ms")?["n"] == "-12.5")
        #expect(try Self.captures("%{INT:n}", "code=404.")?["n"] == "404")
        #expect(try Self.captures("%{BASE16NUM:n}", "at 0x7ffe12")?["n"] == "0x7ffe12")
        #expect(try !Self.matches("^%{POSINT}$", "0"))
        #expect(try Self.matches("^%{NONNEGINT}$", "0"))
        #expect(try Self.captures("%{QS:q}", #"say "a \"quoted\" word" now"#)?["q"] == #""a \"quoted\" word""#)
        #expect(try Self.matches("^%{EMAILADDRESS}$", "first.last+tag@mail.example.org"))
        #expect(try Self.matches("^%{MAC}$", "00:1A:2b:3c:4D:5e") && Self.matches("^%{MAC}$", "001a.2b3c.4d5e"))
        #expect(
            try Self.captures("%{URI:u}", "see https://user@www.example.com:8443/a/b.html?x=1&y=2#top ok")?["u"]
                == "https://user@www.example.com:8443/a/b.html?x=1&y=2#top")
        #expect(try Self.captures("%{HOSTPORT:hp}", "connect db-1.internal:5432")?["hp"] == "db-1.internal:5432")
        #expect(try Self.matches("^%{PATH}$", "/var/log/auth.log") && Self.matches("^%{PATH}$", #"C:\Windows\system32"#))
        #expect(try Self.matches("^%{DATESTAMP}$", "10/18/2015 18:01:47") && Self.matches("^%{DATE_EU}$", "18.10.2015"))
        #expect(try Self.captures("%{LOGLEVEL:l}", "2015 [WARNING] low disk")?["l"] == "WARNING")
        #expect(try Self.matches("^%{HTTPDERROR_DATE}$", "Sun Dec 04 04:47:44 2005"))
        #expect(try Self.matches("^%{HTTPDATE} %{TZ}$", "10/Oct/2000:13:55:36 -0700 PDT"))
    }

    /// From Apache httpd's documentation of the log formats (docs/2.4/logs.html), and
    /// variations a server writes: a host name, IPv6, no bytes, a request that is not one.
    static let accessLines: [(String, [String: String])] = [
        (
            #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
            [
                "clientip": "127.0.0.1", "ident": "-", "auth": "frank", "timestamp": "10/Oct/2000:13:55:36 -0700", "verb": "GET",
                "request": "/apache_pb.gif", "httpversion": "1.0", "response": "200", "bytes": "2326",
                "referrer": #""http://www.example.com/start.html""#, "agent": #""Mozilla/4.08 [en] (Win98; I ;Nav)""#,
            ]
        ),
        (
            #"2001:db8::1 - - [04/Dec/2005:04:47:44 +0000] "POST /login?next=%2Fhome HTTP/1.1" 302 - "-" "curl/8.5.0""#,
            [
                "clientip": "2001:db8::1", "ident": "-", "auth": "-", "timestamp": "04/Dec/2005:04:47:44 +0000", "verb": "POST",
                "request": "/login?next=%2Fhome", "httpversion": "1.1", "response": "302", "referrer": #""-""#,
                "agent": #""curl/8.5.0""#,
            ]
        ),
        (
            #"crawler.example.net - - [01/Jan/2024:00:00:01 +0100] "-" 408 0 "-" "-""#,
            [
                "clientip": "crawler.example.net", "ident": "-", "auth": "-", "timestamp": "01/Jan/2024:00:00:01 +0100",
                "rawrequest": "-", "response": "408", "bytes": "0", "referrer": #""-""#, "agent": #""-""#,
            ]
        ),
    ]

    @Test("COMBINEDAPACHELOG reads access-log lines into Logstash's field names")
    func combined() throws {
        for (line, expected) in Self.accessLines {
            #expect(try Self.captures("^%{COMBINEDAPACHELOG}$", line) == expected, "\(line)")
        }
        // The Common Log Format line of the same documentation.
        let common = try Self.captures(
            "^%{COMMONAPACHELOG}$", #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#)
        #expect(common?["bytes"] == "2326" && common?["auth"] == "frank")
    }

    /// The lines of a loghub sample, without the CR of its CRLF endings.
    static func loghub(_ name: String) throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bytes = try [UInt8](Data(contentsOf: root.appendingPathComponent("samples/loghub/\(name)")))
        // Bytes, not Characters: to a String "\r\n" is one Character, and no "\n".
        return bytes.split(separator: UInt8(ascii: "\n")).map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
        }
    }

    @Test("SYSLOGBASE reads every line of loghub's OpenSSH sample")
    func openSSH() throws {
        let grok = try Self.library.compile("^%{SYSLOGBASE} %{GREEDYDATA:message}$")
        let lines = try Self.loghub("OpenSSH_2k.log")
        #expect(lines.count == 2000)
        let missed = lines.filter { !Self.matchesAll(grok, $0) }
        #expect(missed.isEmpty, "\(missed.prefix(5))")
        #expect(
            try Self.captures("^%{SYSLOGBASE} %{GREEDYDATA:message}$", lines[0]) == [
                "timestamp": "Dec 10 06:55:46", "logsource": "LabSZ", "program": "sshd", "pid": "24200",
                "message":
                    "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
            ])
    }

    @Test("SYSLOGBASE reads loghub's Linux sample but for lines that are not `program[pid]:` shaped")
    func linux() throws {
        let grok = try Self.library.compile("^%{SYSLOGBASE} %{GREEDYDATA:message}$")
        let lines = try Self.loghub("Linux_2k.log")
        #expect(lines.count == 2000)
        let missed = lines.filter { !Self.matchesAll(grok, $0) }
        // syslogd's own "syslogd 1.4.1: restart." seven times (a version where a pid would
        // be) and one line with no program ("combo  -- root[2421]: ROOT LOGIN ON tty2").
        #expect(missed.count == 8, "\(missed)")
        #expect(missed.allSatisfy { $0.contains(" syslogd 1.4.1: restart.") || $0.contains("combo  -- ") }, "\(missed)")
        // With the program left in the message, every line reads.
        let near = try Self.library.compile("^%{SYSLOGTIMESTAMP:timestamp} %{SYSLOGHOST:logsource} %{GREEDYDATA:message}$")
        #expect(lines.allSatisfy { Self.matchesAll(near, $0) })
        #expect(
            try Self.captures("^%{SYSLOGBASE} %{GREEDYDATA:message}$", lines[0]) == [
                "timestamp": "Jun 14 15:16:01", "logsource": "combo", "program": "sshd(pam_unix)", "pid": "19939",
                "message": "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
            ])
    }

    @Test("HTTPDERROR_DATE and LOGLEVEL read every line of loghub's Apache error log")
    func apacheErrors() throws {
        let grok = try Self.library.compile(#"^\[%{HTTPDERROR_DATE:timestamp}\] \[%{LOGLEVEL:level}\] %{GREEDYDATA:message}$"#)
        let lines = try Self.loghub("Apache_2k.log")
        #expect(lines.allSatisfy { Self.matchesAll(grok, $0) })
    }

    @Test("SYSLOGFACILITY is taken when a line carries <facility.priority>")
    func facility() throws {
        let fields = try Self.captures("%{SYSLOGBASE}", "Mar  1 06:00:01 <4.6> gw01 cron[812]: job done")
        #expect(fields?["facility"] == "4" && fields?["priority"] == "6" && fields?["logsource"] == "gw01" && fields?["pid"] == "812")
    }

    static func matchesAll(_ grok: GrokPattern, _ line: String) -> Bool {
        let matcher = grok.regex.matcher()
        return Array(line.utf8).withUnsafeBufferPointer { matcher.match($0) { _, _ in } }
    }
}
