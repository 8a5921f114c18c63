import Foundation
import Testing
import WeirValues

@testable import WeirPipeline

/// A transform built from YAML exactly as a pipeline file would declare it (indented
/// under `transforms: t:`, reading topic `raw`).
func makeTransform(_ yaml: String) throws -> any RecordTransform {
    let text =
        "topics:\n  raw: {}\ntransforms:\n  t:\n" + yaml.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        + "\n    inputs: [raw]\n"
    let (definition, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "t.yaml", defaultName: "t")
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    return try ComponentRegistry.builtIn.makeTransform(ComponentOptions(try #require(definition?.component("t")), pipeline: "t"))
}

@Suite("Built-in transforms")
struct TransformTests {
    func transform(_ yaml: String) throws -> any RecordTransform { try makeTransform(yaml) }

    /// Real lines from the loghub OpenSSH sample.
    static let sshLines = [
        "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
        "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
        "Dec 10 07:02:47 LabSZ sshd[24203]: Connection closed by 212.47.254.145 [preauth]",
        "Dec 10 07:07:45 LabSZ sshd[24206]: Failed password for invalid user test9 from 52.80.34.196 port 36060 ssh2",
    ]

    static var sshRecords: [PipelineRecord] { sshLines.map { PipelineRecord(message: $0, timestamp: 1) } }

    @Test("parse_regex then filter picks the failed logins out of real sshd lines")
    func sshAudit() throws {
        let parse = try transform(
            #"type: parse_regex"# + "\n"
                + #"pattern: '(?<month>\w{3}) +(?<day>\d+) (?<time>\S+) (?<host>\S+) sshd\[(?<pid>\d+)\]: (?<message>.*)'"#)
        let parsed = parse.process(Self.sshRecords)
        #expect(parsed.failures.isEmpty)
        #expect(parsed.records.count == 4)
        #expect(parsed.records[1][field: "pid"] == .string("24200"))
        #expect(parsed.records[1][field: "host"] == .string("LabSZ"))
        #expect(
            parsed.records[1][field: "message"] == .string("Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2")
        )
        let filter = try transform("type: filter\ncondition: '.message starts_with \"Failed password\"'")
        let failures = filter.process(parsed.records)
        #expect(failures.records.map { $0[field: "pid"] } == [.string("24200"), .string("24206")])
    }

    @Test("a line the regex does not match is a failure with a reason, not a drop")
    func regexMismatch() throws {
        let parse = try transform("type: parse_regex\npattern: '^(?<word>\\d+)$'")
        let result = parse.process([PipelineRecord(message: "not digits", timestamp: 1)])
        #expect(result.records.isEmpty)
        #expect(result.failures.map(\.reason) == ["parse_regex: 'message' does not match the pattern"])
    }

    @Test("parse_json keeps types; non-objects fail")
    func parseJSON() throws {
        let parse = try transform("type: parse_json")
        let result = parse.process([
            PipelineRecord(
                message: #"{"level":"error","code":503,"ratio":0.5,"ok":true,"tags":["a"],"user":{"id":7},"none":null}"#, timestamp: 1),
            PipelineRecord(message: "[1,2]", timestamp: 1),
            PipelineRecord(message: "{broken", timestamp: 1),
        ])
        let record = try #require(result.records.first)
        #expect(record[field: "level"] == .string("error"))
        #expect(record[field: "code"] == .int(503))
        #expect(record[field: "ratio"] == .double(0.5))
        #expect(record[field: "ok"] == .bool(true))
        #expect(record[field: "tags"] == .array([.string("a")]))
        #expect(record.object[path: ["user", "id"]] == .int(7))
        #expect(record[field: "none"] == .null)
        #expect(result.failures.count == 2)
    }

    @Test("parse_logfmt reads bare, quoted and flag pairs")
    func parseLogfmt() throws {
        let parse = try transform("type: parse_logfmt")
        let result = parse.process([PipelineRecord(message: #"level=warn msg="disk \"sda\" slow" took=12ms retry"#, timestamp: 1)])
        let record = try #require(result.records.first)
        #expect(record[field: "level"] == .string("warn"))
        #expect(record[field: "msg"] == .string(#"disk "sda" slow"#))
        #expect(record[field: "took"] == .string("12ms"))
        #expect(record[field: "retry"] == .string("true"))
    }

    @Test("set, rename and remove reshape fields")
    func reshape() throws {
        let input = [PipelineRecord(timestamp: 1, fields: ["host": .string("LabSZ"), "pid": .string("24200"), "junk": .int(1)])]
        let set = try transform("type: set\nfields:\n  host_lower: 'lower(.host)'\n  pid_number: 'to_int(.pid)'")
        let renamed = try transform("type: rename\nfields:\n  host: hostname")
        let removed = try transform("type: remove\nfields: [junk]")
        let out = removed.process(renamed.process(set.process(input).records).records).records
        #expect(
            out.first?.object
                == .object([
                    "hostname": .string("LabSZ"), "pid": .string("24200"),
                    "host_lower": .string("labsz"), "pid_number": .int(24200),
                ]))
    }

    @Test("route sends records to every matching case, else _unmatched; sample keeps one in N")
    func routeAndSample() throws {
        let route = try transform(
            "type: route\nroutes:\n  failed: '.message contains \"Failed\"'\n  preauth: '.message ends_with \"[preauth]\"'")
        let routed = route.process(Self.sshRecords)
        #expect(routed.outputs["failed"]?.count == 2)
        #expect(routed.outputs["preauth"]?.count == 1)
        #expect(routed.outputs["_unmatched"]?.count == 1)
        let sample = try transform("type: sample\nrate: 3")
        let kept = sample.process((0..<10).map { PipelineRecord(message: "\($0)", timestamp: 1) }).records
        #expect(kept.map { $0[field: "message"] } == [.string("0"), .string("3"), .string("6"), .string("9")])
    }

    @Test("a condition that fails for a record reports it instead of stopping")
    func conditionError() throws {
        let filter = try transform("type: filter\ncondition: '.message > 3'")
        let result = filter.process([PipelineRecord(message: "text", timestamp: 1)])
        #expect(result.records.isEmpty)
        #expect(result.failures.first?.reason == "condition: cannot compare string with integer using >")
    }
}

@Suite("timestamp transform")
struct TimestampTransformTests {
    func make(_ format: String, field: String = "when") throws -> any RecordTransform {
        try makeTransform("type: timestamp\nfield: \(field)\nformat: \"\(format)\"")
    }

    @Test(
        "formats set the record timestamp (UTC unless the text has a zone)",
        arguments: [
            ("yyyy-MM-dd HH:mm:ss,SSS", Value.string("2015-10-18 18:01:47,978"), Int64(1_445_191_307_978)),
            ("yyyy-MM-dd'T'HH:mm:ssXXX", .string("2024-02-29T12:00:00+02:00"), 1_709_200_800_000),
            ("unix", .int(1_700_000_000), 1_700_000_000_000),
            ("unix_ms", .string("1700000000123"), 1_700_000_000_123),
        ])
    func formats(format: String, value: Value, expected: Int64) throws {
        let result = try make(format).process([PipelineRecord(timestamp: 0, fields: ["when": value])])
        #expect(result.failures.isEmpty, "\(result.failures)")
        #expect(result.records.first?.timestamp == expected)
    }

    @Test("text that does not fit the format is a failure")
    func mismatch() throws {
        let result = try make("yyyy-MM-dd").process([PipelineRecord(timestamp: 0, fields: ["when": .string("yesterday")])])
        #expect(result.records.isEmpty)
        #expect(result.failures.first?.reason == "timestamp: 'when' does not match the format 'yyyy-MM-dd'")
    }
}

@Suite("Transforms: review regressions")
struct TransformRegressionTests {
    func make(_ yaml: String) throws -> any RecordTransform { try makeTransform(yaml) }

    @Test("rename swaps and chains without losing a value")
    func renameSwap() throws {
        let swap = try make("type: rename\nfields: {a: b, b: a}")
        let out = swap.process([PipelineRecord(timestamp: 1, fields: ["a": .int(1), "b": .int(2)])]).records
        #expect(out.first?.object == .object(["a": .int(2), "b": .int(1)]))
    }

    @Test("a record that fails one route case goes only to the failures")
    func routeFailure() throws {
        let route = try make("type: route\nroutes:\n  a: '.x == 1'\n  b: '.x > \"s\"'")
        let result = route.process([PipelineRecord(timestamp: 1, fields: ["x": .int(1)])])
        #expect(result.outputs.isEmpty)
        #expect(result.failures.count == 1)
    }

    @Test("unix timestamps that do not fit are failures, not crashes", arguments: ["nan", "inf", "1e300", "-1e300"])
    func hugeUnix(text: String) throws {
        let transform = try make("type: timestamp\nfield: ts\nformat: unix")
        let result = transform.process([PipelineRecord(timestamp: 0, fields: ["ts": .string(text)])])
        #expect(result.records.isEmpty && result.failures.count == 1)
    }
}
