import Testing
import WeirValues

@testable import WeirPipeline

@Suite("parse_apache_log and parse_nginx_log")
struct ParseWebLogTests {
    static func result(_ yaml: String, _ lines: [String]) throws -> TransformResult {
        try makeTransform(yaml).process(lines.map { PipelineRecord(message: ArraySlice($0.utf8), timestamp: 1) })
    }

    static func record(_ yaml: String, _ line: String) throws -> PipelineRecord {
        let result = try result(yaml, [line])
        #expect(result.failures.isEmpty, "\(result.failures.map(\.reason))")
        return try #require(result.records.first)
    }

    static func reason(_ yaml: String, _ line: String) throws -> String? {
        let result = try result(yaml, [line])
        #expect(result.records.isEmpty)
        return result.failures.first?.reason
    }

    /// The Apache documentation's examples (mod_log_config, "Common Log Format" and
    /// "Combined Log Format").
    static let common = #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#
    static let combined = common + #" "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#

    @Test("Apache's common and combined examples")
    func apacheAccess() throws {
        let expected: Fields = [
            "client": .string("127.0.0.1"), "user": .string("frank"), "timestamp": .string("2000-10-10T20:55:36.000Z"),
            "method": .string("GET"), "path": .string("/apache_pb.gif"), "protocol": .string("HTTP/1.0"), "status": .int(200),
            "bytes": .int(2326), "message": .string(Self.common),
        ]
        let common = try Self.record("type: parse_apache_log\nformat: common", Self.common)
        #expect(common.fields == expected)
        #expect(common.timestamp == 971_211_336_000)
        var full = expected
        full["message"] = .string(Self.combined)
        full["referer"] = .string("http://www.example.com/start.html")
        full["agent"] = .string("Mozilla/4.08 [en] (Win98; I ;Nav)")
        #expect(try Self.record("type: parse_apache_log", Self.combined).fields == full)
        // combined (the default) takes a common line too; common refuses a combined one.
        #expect(try Self.record("type: parse_apache_log", Self.common).fields == expected)
        #expect(
            try Self.reason("type: parse_apache_log\nformat: common", Self.combined)
                == #"parse_apache_log: 'message' is not a common log format line: unexpected '"http://www.example.com/…' after the byte count of a common-format line"#
        )
    }

    @Test("nginx combined, an IPv6 client, '-' fields, escaped quotes, no request line")
    func edgeCases() throws {
        let nginx = try Self.record(
            "type: parse_nginx_log",
            #"2001:db8::1 - - [04/Dec/2026:10:00:00 +0100] "GET /index.html?q=\"x\" HTTP/1.1" 304 - "-" "curl/8.5.0""#)
        #expect(
            nginx.fields
                == [
                    "client": .string("2001:db8::1"), "timestamp": .string("2026-12-04T09:00:00.000Z"), "method": .string("GET"),
                    "path": .string(#"/index.html?q="x""#), "protocol": .string("HTTP/1.1"), "status": .int(304), "bytes": .int(0),
                    "agent": .string("curl/8.5.0"),
                    "message": .string(
                        #"2001:db8::1 - - [04/Dec/2026:10:00:00 +0100] "GET /index.html?q=\"x\" HTTP/1.1" 304 - "-" "curl/8.5.0""#),
                ])
        let timeout = try Self.record("type: parse_apache_log", #"::1 - - [04/Dec/2026:10:00:00 +0000] "-" 408 - "-" "-""#)
        #expect(timeout[field: "method"] == nil)
        #expect(timeout[field: "request"] == nil)
        #expect(timeout[field: "status"] == .int(408))
        #expect(timeout[field: "referer"] == nil)
        let tls = try Self.record("type: parse_apache_log", #"10.0.0.1 - - [04/Dec/2026:10:00:00 +0000] "\x16\x03\x01" 400 226"#)
        #expect(tls[field: "request"] == .string(#"\x16\x03\x01"#))
        #expect(tls[field: "method"] == nil)
        let old = try Self.record("type: parse_apache_log", #"10.0.0.1 - - [04/Dec/2026:10:00:00 +0000] "GET /" 200 5"#)
        #expect(old[field: "path"] == .string("/"))
        #expect(old[field: "protocol"] == nil)
    }

    @Test("access lines that do not parse fail with a reason")
    func accessFailures() throws {
        let yaml = "type: parse_apache_log"
        #expect(try Self.reason(yaml, "") == "parse_apache_log: 'message' is not a combined log format line: the line is empty")
        #expect(try Self.reason(yaml, "127.0.0.1 - -")?.hasSuffix("no [time] after the user") == true)
        #expect(
            try Self.reason(yaml, #"1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#)?.contains(
                "is not [dd/Mmm/yyyy:hh:mm:ss ±hhmm]") == true)
        #expect(
            try Self.reason(yaml, #"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0 200 1"#)?.hasSuffix("has no closing quote")
                == true)
        #expect(
            try Self.reason(yaml, #"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" OK 1"#)?.contains("no status code") == true)
        #expect(try Self.reason(yaml, Self.combined + " extra")?.hasSuffix("after the user agent") == true)
    }

    @Test("Apache error lines, 2.2 and 2.4 forms")
    func apacheError() throws {
        let yaml = "type: parse_apache_log\nformat: error"
        let old = try Self.record(
            yaml, "[Sun Dec 04 05:15:09 2005] [error] [client 222.166.160.184] Directory index forbidden by rule: /var/www/html/")
        #expect(
            old.fields
                == [
                    "timestamp": .string("2005-12-04T05:15:09.000Z"), "level": .string("error"), "client": .string("222.166.160.184"),
                    "message": .string("Directory index forbidden by rule: /var/www/html/"),
                ])
        let new = try Self.record(
            yaml,
            "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico"
        )
        #expect(
            new.fields
                == [
                    "timestamp": .string("2011-09-09T10:42:29.902Z"), "level": .string("error"), "module": .string("core"),
                    "pid": .int(35708), "tid": .int(4_328_636_416), "client": .string("72.15.99.187"),
                    "message": .string("File does not exist: /usr/local/apache2/htdocs/favicon.ico"),
                ])
        #expect(try Self.reason(yaml, "[Sun Foo 04 05:15:09 2005] [error] x")?.contains("is not [Www Mmm dd hh:mm:ss yyyy]") == true)
        #expect(try Self.reason(yaml, "[Sun Dec 04 05:15:09 2005] [error] [pid 1:tid 99999999999999999999] x")?.contains("tid") == true)
        #expect(try Self.reason(yaml, "[Sun Dec 04 05:15:09 2005] error")?.hasSuffix("no [level] after the time") == true)
    }

    @Test("every line of loghub's Apache sample (an error log) parses")
    func loghubApache() throws {
        let lines = try loghubLines("Apache_2k.log")
        #expect(lines.count == 2000)
        let result = try makeTransform("type: parse_apache_log\nformat: error").process(
            lines.map { PipelineRecord(message: $0, timestamp: 0) })
        #expect(result.failures.isEmpty, "\(result.failures.prefix(3).map(\.reason))")
        #expect(result.records.count == 2000)
        #expect(result.records.filter { $0[field: "level"] == .string("error") }.count == 595)
        // The lines naming a client: "[client " follows the level.
        let clients = lines.filter { String(decoding: $0, as: UTF8.self).contains("] [client ") }.count
        #expect(clients == 32)
        #expect(result.records.filter { $0[field: "client"] != nil }.count == clients)
        #expect(
            result.records[0].fields
                == [
                    "timestamp": .string("2005-12-04T04:47:44.000Z"), "level": .string("notice"),
                    "message": .string("workerEnv.init() ok /etc/httpd/conf/workers2.properties"),
                ])
        #expect(result.records[0].timestamp == 1_133_671_664_000)
        // The access-log parser refuses them, with a reason.
        let access = try makeTransform("type: parse_apache_log").process([PipelineRecord(message: lines[0], timestamp: 0)])
        #expect(access.failures.first?.reason.hasPrefix("parse_apache_log: 'message' is not a combined log format line:") == true)
    }

    @Test("nginx error lines: pid#tid, connection, the request context")
    func nginxError() throws {
        let yaml = "type: parse_nginx_log\nformat: error"
        let line =
            #"2026/12/04 10:00:00 [error] 1234#5678: *9 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 1.2.3.4, server: x, request: "GET /favicon.ico HTTP/1.1", host: "x", referrer: "http://x/""#
        #expect(
            try Self.record(yaml, line).fields
                == [
                    "timestamp": .string("2026-12-04T10:00:00.000Z"), "level": .string("error"), "pid": .int(1234), "tid": .int(5678),
                    "connection": .int(9),
                    "message": .string(#"open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory)"#),
                    "client": .string("1.2.3.4"), "server": .string("x"), "request": .string("GET /favicon.ico HTTP/1.1"),
                    "host": .string("x"), "referrer": .string("http://x/"),
                ])
        let notice = try Self.record(yaml, "2026/12/04 10:00:00 [notice] 1#0: signal process started")
        #expect(
            notice.fields
                == [
                    "timestamp": .string("2026-12-04T10:00:00.000Z"), "level": .string("notice"), "pid": .int(1), "tid": .int(0),
                    "message": .string("signal process started"),
                ])
        #expect(try Self.reason(yaml, "2026/13/04 10:00:00 [notice] 1#0: x")?.contains("is not yyyy/mm/dd hh:mm:ss") == true)
        #expect(try Self.reason(yaml, "2026/12/04 10:00:00 [notice] 1: x")?.contains("no pid#tid:") == true)
    }
}
