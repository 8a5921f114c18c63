import Foundation
import Testing
import WeirValues

@testable import WeirPipeline

/// `parse_grok` as a pipeline declares it: typed and nested captures, custom definitions,
/// several patterns, and the load-time errors that name the grok pattern at fault.
@Suite("parse_grok")
struct ParseGrokTransformTests {
    static let access =
        #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#

    /// A record whose message is bytes as a source reads them, or a decoded string.
    static func record(_ line: String, asBytes: Bool = true) -> PipelineRecord {
        asBytes ? PipelineRecord(message: ArraySlice(line.utf8), timestamp: 1) : PipelineRecord(message: line, timestamp: 1)
    }

    /// The diagnostics of a pipeline with one transform written as `yaml`.
    static func diagnostics(_ yaml: String) -> [Diagnostic] {
        let text =
            "topics:\n  raw: {}\ntransforms:\n  t:\n" + yaml.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
            + "\n    inputs: [raw]\n"
        return PipelineLoader(environment: [:]).load(text: text, file: "t.yaml", defaultName: "t").diagnostics
    }

    @Test("COMBINEDAPACHELOG with typed captures of its own", arguments: [true, false])
    func combined(asBytes: Bool) throws {
        let parse = try makeTransform(
            """
            type: parse_grok
            pattern: '%{COMBINEDAPACHELOG}'
            """)
        let out = try #require(parse.process([Self.record(Self.access, asBytes: asBytes)]).records.first)
        #expect(out[field: "clientip"] == .string("127.0.0.1"))
        #expect(out[field: "verb"] == .string("GET"))
        #expect(out[field: "response"] == .string("200"))
        #expect(out[field: "agent"] == .string(#""Mozilla/4.08 [en] (Win98; I ;Nav)""#))
        #expect(out[field: "message"] == .string(Self.access))
    }

    @Test("int and float captures become numbers; text that does not convert fails the record unchanged")
    func typed() throws {
        let parse = try makeTransform(
            """
            type: parse_grok
            pattern: '%{WORD:method} %{NOTSPACE:status:int} %{NOTSPACE:took:float}'
            """)
        let result = parse.process([Self.record("GET 200 0.25"), Self.record("GET 2x0 0.25"), Self.record("GET 200 fast")])
        #expect(result.records.count == 1)
        let out = try #require(result.records.first)
        #expect(out[field: "status"] == .int(200) && out[field: "took"] == .double(0.25) && out[field: "method"] == .string("GET"))
        #expect(
            result.failures.map(\.reason) == [
                "parse_grok: capture 'status' is not an integer: '2x0'", "parse_grok: capture 'took' is not a number: 'fast'",
            ])
        // Failed records keep the fields they came with: nothing half-written.
        #expect(result.failures.allSatisfy { $0.record.fields.keys == ["message"] })
    }

    @Test("pattern_definitions add names and may replace standard ones; raw regex sits between")
    func custom() throws {
        let parse = try makeTransform(
            """
            type: parse_grok
            pattern: '^%{SSHVERB:verb} password for (?:invalid user )?%{SSHUSER:user} from %{IP:ip} port %{INT:port:int}'
            pattern_definitions:
              SSHVERB: 'Accepted|Failed'
              SSHUSER: '%{USERNAME}'
              USERNAME: '[a-z0-9]+'
            field: text
            """)
        let record = PipelineRecord(
            timestamp: 1, fields: ["text": .string("Failed password for invalid user test9 from 52.80.34.196 port 36060 ssh2")])
        let out = try #require(parse.process([record]).records.first)
        #expect(
            out.object
                == .object([
                    "text": .string("Failed password for invalid user test9 from 52.80.34.196 port 36060 ssh2"), "verb": .string("Failed"),
                    "user": .string("test9"), "ip": .string("52.80.34.196"), "port": .int(36060),
                ]))
        // The replaced USERNAME takes no capital letters.
        #expect(
            parse.process([PipelineRecord(timestamp: 1, fields: ["text": .string("Failed password for Bob from 1.2.3.4 port 1")])]).failures
                .count == 1)
    }

    @Test("[a][b] and a.b names make nested objects; the same name in two alternatives is one field")
    func names() throws {
        let parse = try makeTransform(
            """
            type: parse_grok
            pattern: '(?:%{IPV4:[client][ip]}|%{HOSTNAME:[client][ip]}):%{POSINT:client.port:int} %{WORD:[event]} %{DATA:empty}$'
            """)
        let out = try #require(
            parse.process([Self.record("10.1.2.3:8080 connect "), Self.record("db.local:5432 close ")]).records.map(\.object) as [Value]?)
        #expect(
            out == [
                .object([
                    "message": .string("10.1.2.3:8080 connect "), "client": .object(["ip": .string("10.1.2.3"), "port": .int(8080)]),
                    "event": .string("connect"),
                ]),
                .object([
                    "message": .string("db.local:5432 close "), "client": .object(["ip": .string("db.local"), "port": .int(5432)]),
                    "event": .string("close"),
                ]),
            ])
    }

    @Test("patterns are tried in order and the first that matches wins; a capture may replace the field")
    func patternsInOrder() throws {
        let parse = try makeTransform(
            """
            type: parse_grok
            patterns:
              - '^%{SYSLOGBASE} %{GREEDYDATA:message}$'
              - '^%{SYSLOGTIMESTAMP:timestamp} %{SYSLOGHOST:logsource} %{GREEDYDATA:message}$'
              - '^%{GREEDYDATA:unparsed}$'
            """)
        let result = parse.process([
            Self.record("Dec 10 06:55:46 LabSZ sshd[24200]: Connection closed"),
            Self.record("Jun 19 04:09:11 combo syslogd 1.4.1: restart."),
            Self.record("garbage"), Self.record("Dec 10 06:55:46 host sshd: ünïcödé text"),
        ])
        let out = result.records.map(\.object)
        #expect(
            out[0]
                == .object([
                    "message": .string("Connection closed"), "timestamp": .string("Dec 10 06:55:46"), "logsource": .string("LabSZ"),
                    "program": .string("sshd"), "pid": .string("24200"),
                ]))
        #expect(
            out[1]
                == .object([
                    "message": .string("syslogd 1.4.1: restart."), "timestamp": .string("Jun 19 04:09:11"), "logsource": .string("combo"),
                ]))
        #expect(out[2] == .object(["message": .string("garbage"), "unparsed": .string("garbage")]))
        #expect(
            out[3]
                == .object([
                    "message": .string("ünïcödé text"), "timestamp": .string("Dec 10 06:55:46"), "logsource": .string("host"),
                    "program": .string("sshd"),
                ]))
    }

    @Test("a record that matches no pattern, or whose field is not a string, fails with a reason")
    func failures() throws {
        let parse = try makeTransform("type: parse_grok\npattern: '^%{IP:ip}$'")
        let result = parse.process([Self.record("nope"), PipelineRecord(timestamp: 1, fields: ["message": .int(3)])])
        #expect(
            result.failures.map(\.reason) == [
                "parse_grok: 'message' does not match the pattern", "parse_grok: field 'message' is not a string",
            ])
    }

    @Test(
        "load-time errors name the grok pattern and sit at the option",
        arguments: [
            (
                "pattern: '%{IPV4:ip} %{NOSUCH:x}'",
                "t.yaml:6:14: transform 't': pattern '%{IPV4:ip} %{NOSUCH:x}': the pattern refers to unknown grok pattern 'NOSUCH'"
            ),
            (
                "pattern: '%{IPV:ip}'",
                "t.yaml:6:14: transform 't': pattern '%{IPV:ip}': the pattern refers to unknown grok pattern 'IPV' (did you mean 'IP'?)"
            ),
            (
                "pattern: '%{A}'\npattern_definitions:\n  A: 'x%{B}'\n  B: '%{C}|y'\n  C: '%{A}'",
                "transform 't': pattern_definitions has a problem: grok pattern 'A' refers to itself: A -> B -> C -> A"
            ),
            (
                "pattern: '%{A}'\npattern_definitions:\n  A: '(x'",
                "transform 't': pattern_definitions has a problem: grok pattern 'A' is not a valid regex at offset 2: missing closing parenthesis"
            ),
            (
                "pattern: '%{A}'\npattern_definitions:\n  A: '%{WORD} %{NOPE}'",
                "transform 't': pattern_definitions has a problem: grok pattern 'A' refers to unknown grok pattern 'NOPE'"
            ),
            (
                "pattern: '%{INT:n:long}'",
                "transform 't': pattern '%{INT:n:long}': the pattern has '%{INT:n:long}': the type may be int or float, not 'long'"
            ),
            ("pattern: '%{INT:n'", "transform 't': pattern '%{INT:n': the pattern has '%{' without a closing '}' at offset 0"),
            ("pattern: '%{INT:[a][b}'", "the pattern has '%{INT:[a][b}': capture names are a field name, a.b or [a][b], not '[a][b'"),
            (
                "pattern: '%{INT:n} (oops'",
                "transform 't': pattern '%{INT:n} (oops': the pattern is not a valid regex at offset 14: missing closing parenthesis"
            ),
            ("patterns: ['%{INT:n}', '%{WORD:w']", "transform 't': patterns item 2 '%{WORD:w': the pattern has '%{' without a closing '}'"),
            ("pattern: 'a'\npatterns: ['b']", "transform 't': patterns cannot be given with pattern"),
            ("field: x", "transform 't': pattern is required (or patterns, a list tried in order)"),
        ])
    func loadErrors(yaml: String, expected: String) throws {
        let diagnostics = Self.diagnostics("type: parse_grok\n" + yaml)
        #expect(diagnostics.count == 1 && diagnostics.contains { $0.description.contains(expected) }, "\(diagnostics.map(\.description))")
    }
}
