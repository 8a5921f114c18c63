import Foundation
import Testing
import WeirValues

@testable import WeirPipeline

@Suite("parse_syslog")
struct ParseSyslogTests {
    /// 2026-12-04T19:00:00Z: the "now" RFC 3164 dates take their year from.
    static let now = CivilTime.millis(year: 2026, month: 12, day: 4, second: 19 * 3600, millis: 0)

    static func parser(_ format: SyslogMessage.Format = .auto) -> ParseSyslogTransform {
        ParseSyslogTransform(field: "message", format: format, now: { now })
    }

    static func parse(_ line: String, _ format: SyslogMessage.Format = .auto) -> TransformResult {
        parser(format).process([PipelineRecord(message: ArraySlice(line.utf8), timestamp: 1)])
    }

    static func record(_ line: String, _ format: SyslogMessage.Format = .auto) throws -> PipelineRecord {
        let result = parse(line, format)
        #expect(result.failures.isEmpty, "\(result.failures.map(\.reason))")
        return try #require(result.records.first)
    }

    static func reason(_ line: String, _ format: SyslogMessage.Format = .auto) -> String? {
        let result = parse(line, format)
        #expect(result.records.isEmpty)
        return result.failures.first?.reason
    }

    @Test("RFC 5424 §6.5 example 1: no structured data, a BOM before the message")
    func example1() throws {
        let record = try Self.record(
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{FEFF}'su root' failed for lonvick on /dev/pts/8")
        #expect(
            record.fields
                == [
                    "facility": .int(4), "severity": .int(2), "facility_name": .string("auth"), "severity_name": .string("crit"),
                    "timestamp": .string("2003-10-11T22:14:15.003Z"), "host": .string("mymachine.example.com"), "app": .string("su"),
                    "msgid": .string("ID47"), "message": .string("'su root' failed for lonvick on /dev/pts/8"),
                ])
        #expect(record.timestamp == 1_065_910_455_003)
    }

    @Test("RFC 5424 §6.5 example 2: a zone offset and microseconds")
    func example2() throws {
        let record = try Self.record("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.")
        #expect(
            record.fields
                == [
                    "facility": .int(20), "severity": .int(5), "facility_name": .string("local4"), "severity_name": .string("notice"),
                    "timestamp": .string("2003-08-24T12:14:15.000Z"), "host": .string("192.0.2.1"), "app": .string("myproc"),
                    "procid": .string("8710"), "message": .string("%% It's time to make the do-nuts."),
                ])
    }

    @Test("RFC 5424 §6.5 example 3: structured data and a message")
    func example3() throws {
        let record = try Self.record(
            #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] "#
                + "\u{FEFF}An application event log entry...")
        #expect(record[field: "app"] == .string("evntslog"))
        #expect(record[field: "procid"] == nil)
        #expect(
            record[field: "structured_data"]
                == .object([
                    "exampleSDID@32473": .object(["iut": .string("3"), "eventSource": .string("Application"), "eventID": .string("1011")])
                ]))
        #expect(record[field: "message"] == .string("An application event log entry..."))
    }

    @Test("RFC 5424 §6.5 example 4: two SD elements and no message")
    func example4() throws {
        let line =
            #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]"#
        let record = try Self.record(line)
        #expect(
            record[field: "structured_data"]
                == .object([
                    "exampleSDID@32473": .object(["iut": .string("3"), "eventSource": .string("Application"), "eventID": .string("1011")]),
                    "examplePriority@32473": .object(["class": .string("high")]),
                ]))
        // No MSG: the field parsed keeps the line.
        #expect(record[field: "message"] == .string(line))
        #expect(record[field: "msgid"] == .string("ID47"))
    }

    @Test("RFC 5424 param values unescape \\\" \\\\ and \\], keep other backslashes; NILVALUE everywhere")
    func escapes() throws {
        let record = try Self.record(#"<14>1 - - - - - [x@1 a="q\"uote" b="back\\slash" c="br\]acket" d="new\nline" e=""] m"#)
        #expect(
            record[field: "structured_data"]
                == .object([
                    "x@1": .object([
                        "a": .string(#"q"uote"#), "b": .string(#"back\slash"#), "c": .string("br]acket"), "d": .string(#"new\nline"#),
                        "e": .string(""),
                    ])
                ]))
        #expect(record[field: "timestamp"] == nil)
        #expect(record.timestamp == 1)
        #expect(record[field: "host"] == nil)
        #expect(record[field: "message"] == .string("m"))
        #expect(record[field: "severity_name"] == .string("info"))
    }

    @Test("RFC 3164 examples with a PRI, and a message with no TAG")
    func rfc3164() throws {
        let su = try Self.record("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")
        #expect(
            su.fields
                == [
                    "facility": .int(4), "severity": .int(2), "facility_name": .string("auth"), "severity_name": .string("crit"),
                    "timestamp": .string("2026-10-11T22:14:15.000Z"), "host": .string("mymachine"), "app": .string("su"),
                    "message": .string("'su root' failed for lonvick on /dev/pts/8"),
                ])
        let bfg = try Self.record("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!")
        #expect(bfg[field: "timestamp"] == .string("2026-02-05T17:32:18.000Z"))
        #expect(bfg[field: "host"] == .string("10.0.0.99"))
        #expect(bfg[field: "app"] == nil)
        #expect(bfg[field: "message"] == .string("Use the BFG!"))
        #expect(bfg[field: "severity_name"] == .string("notice"))
        #expect(bfg[field: "facility_name"] == .string("user"))
    }

    @Test("RFC 3164 without a PRI, as daemons write files; a date over a day ahead is last year's")
    func noPriority() throws {
        let ssh = try Self.record("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186")
        #expect(
            ssh.fields
                == [
                    "timestamp": .string("2025-12-10T06:55:46.000Z"), "host": .string("LabSZ"), "app": .string("sshd"),
                    "procid": .string("24200"), "message": .string("Invalid user webmaster from 173.234.31.186"),
                ])
        #expect(ssh.timestamp == CivilTime.millis(year: 2025, month: 12, day: 10, second: 6 * 3600 + 55 * 60 + 46, millis: 0))
        // Tomorrow is within a day of now: this year.
        #expect(try Self.record("Dec  5 18:00:00 h a: m")[field: "timestamp"] == .string("2026-12-05T18:00:00.000Z"))
        let syslogd = try Self.record("Jun 19 04:09:11 combo syslogd 1.4.1: restart.")
        #expect(syslogd[field: "app"] == nil)
        #expect(syslogd[field: "message"] == .string("syslogd 1.4.1: restart."))
        let kernel = try Self.record("Jun  9 06:06:20 combo kernel: Linux version 2.6.5-1.358")
        #expect(kernel[field: "app"] == .string("kernel"))
        #expect(kernel[field: "timestamp"] == .string("2026-06-09T06:06:20.000Z"))
        #expect(kernel[field: "message"] == .string("Linux version 2.6.5-1.358"))
    }

    @Test("bad input fails with a reason naming the transform and the fault")
    func badInput() {
        #expect(Self.reason("") == "parse_syslog: 'message' is not syslog: the line is empty")
        #expect(Self.reason("<13") == "parse_syslog: 'message' is not syslog: the PRI '<13' has no closing '>'")
        #expect(Self.reason("<192>1 - - - - - -") == "parse_syslog: 'message' is not syslog: PRI 192 is over 191")
        #expect(Self.reason("<1234>x")?.contains("the PRI is not 1 to 3 digits") == true)
        #expect(
            Self.reason("Foo 10 06:55:46 LabSZ sshd[1]: x")
                == "parse_syslog: 'message' is not syslog: no RFC 5424 version or RFC 3164 date like 'Dec 10 06:55:46' at 'Foo 10 06:55:46 LabSZ ss…'"
        )
        #expect(Self.reason("Dec 32 06:55:46 h x")?.contains("is not 'Mmm dd hh:mm:ss'") == true)
        #expect(Self.reason("Dec 10 06:55:46")?.hasSuffix("no host after the date") == true)
        #expect(Self.reason("<13>1 2003-13-11T22:14:15Z h a p m -")?.contains("is not RFC 3339") == true)
        #expect(Self.reason("<13>1 2003-10-11T22:14:15Z h a p")?.contains("no MSGID") == true)
        #expect(Self.reason(#"<13>1 - h a p m [id a="b"#)?.hasSuffix(#"a value is not closed by '"'"#) == true)
        #expect(Self.reason(#"<13>1 - h a p m [id a="b""#)?.hasSuffix("is not closed by ']'") == true)
        #expect(Self.reason("<13>Oct 11 22:14:15 h m", .rfc5424)?.contains("version") == true)
        #expect(Self.reason("Oct 11 22:14:15 h m", .rfc5424)?.hasSuffix("no <PRI> at the start") == true)
        #expect(Self.reason("<13>1 - - - - - -", .rfc3164) != nil)
    }

    @Test("a field that is not a string fails; non-ASCII text parses from its string")
    func fieldTypes() throws {
        let parser = Self.parser()
        let result = parser.process([
            PipelineRecord(timestamp: 1, fields: ["message": .int(3)]),
            PipelineRecord(message: "<13>Oct 11 22:14:15 hôte app: café", timestamp: 1),
        ])
        #expect(result.failures.map(\.reason) == ["parse_syslog: field 'message' is not a string"])
        #expect(result.records.first?[field: "host"] == .string("hôte"))
        #expect(result.records.first?[field: "message"] == .string("café"))
    }

    @Test("every line of loghub's Linux and OpenSSH samples parses (no PRI)")
    func loghub() throws {
        for (file, count) in [("Linux_2k.log", 2000), ("OpenSSH_2k.log", 2000)] {
            let lines = try loghubLines(file)
            #expect(lines.count == count)
            let result = Self.parser().process(lines.map { PipelineRecord(message: $0, timestamp: 0) })
            #expect(result.failures.isEmpty, "\(file): \(result.failures.prefix(3).map(\.reason))")
            #expect(result.records.count == count)
            #expect(result.records.allSatisfy { $0.timestamp != 0 && $0[field: "host"] != nil })
        }
        let linux = try loghubLines("Linux_2k.log")
        let first = try #require(Self.parser().process([PipelineRecord(message: linux[0], timestamp: 0)]).records.first)
        #expect(
            first.fields
                == [
                    "timestamp": .string("2026-06-14T15:16:01.000Z"), "host": .string("combo"), "app": .string("sshd(pam_unix)"),
                    "procid": .string("19939"),
                    "message": .string("authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 "),
                ])
    }

    @Test("the transform is registered with its options")
    func registered() throws {
        let parse = try makeTransform("type: parse_syslog\nfield: line\nformat: rfc3164")
        let result = parse.process([PipelineRecord(timestamp: 1, fields: ["line": .string("Oct 11 22:14:15 h app[7]: hi")])])
        #expect(result.records.first?[field: "procid"] == .string("7"))
        #expect(result.records.first?[field: "line"] == .string("Oct 11 22:14:15 h app[7]: hi"))
        #expect(result.records.first?[field: "message"] == .string("hi"))
    }
}
