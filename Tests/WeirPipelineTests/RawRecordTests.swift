import Testing
import WeirValues

@testable import WeirPipeline

/// Records read from a topic hold their message as the bytes read: what transforms and
/// writers make of them is what they made of the decoded string.
@Suite("Records kept as the bytes they were read with")
struct RawRecordTests {
    static let lines =
        TransformTests.sshLines + [
            "Dec 10 07:08:00 LabSZ sshd[24207]: Failed password for user Ünïcode from 1.2.3.4 port 1 ssh2",
            "not an sshd line at all",
        ]

    static func fromBytes(_ line: String) -> PipelineRecord {
        PipelineRecord(message: Array(line.utf8)[...], timestamp: 1)
    }

    @Test("parse_regex and filter give the same records, in the same order, from bytes as from strings")
    func sameAsStrings() throws {
        let parse = try makeTransform(
            #"type: parse_regex"# + "\n"
                + #"pattern: '(?<month>\w{3}) +(?<day>\d+) (?<time>\S+) (?<host>\S+) sshd\[(?<pid>\d+)\]: (?<rest>.*)'"#)
        let filter = try makeTransform(#"type: filter"# + "\n" + #"condition: '.rest starts_with "Failed"'"#)
        let fromStrings = filter.process(parse.process(Self.lines.map { PipelineRecord(message: $0, timestamp: 1) }).records)
        let fromBytes = filter.process(parse.process(Self.lines.map(Self.fromBytes)).records)
        #expect(fromBytes.records == fromStrings.records)
        #expect(fromBytes.records.count == 3)
        #expect(fromBytes.records.map(\.fields.keys) == fromStrings.records.map(\.fields.keys))
        #expect(fromBytes.records.map(RecordEncoding.json.line) == fromStrings.records.map(RecordEncoding.json.line))
        #expect(parse.process(Self.lines.map(Self.fromBytes)).failures.map(\.record) == [Self.fromBytes(Self.lines.last!)])
    }

    @Test("a text writer copies the bytes; bytes that are not UTF-8 are written as decoding them gives")
    func textWriter() {
        var out: [UInt8] = []
        RecordEncoding.text.write(Self.fromBytes("plain line"), into: &out)
        #expect(out == Array("plain line".utf8))
        out = []
        RecordEncoding.text.write(PipelineRecord(message: [0x61, 0xC3, 0x28][...], timestamp: 1), into: &out)
        #expect(out == Array("a\u{FFFD}(".utf8))
        #expect(RecordEncoding.json.line(Self.fromBytes("say \"hi\"")) == #"{"_timestamp":1,"message":"say \"hi\""}"#)
    }

    @Test("records that do not parse leave the batch in order, and those that do keep theirs")
    func mixedFailures() throws {
        let parse = try makeTransform(#"type: parse_regex"# + "\n" + #"pattern: '^(?<n>\d+) ok$'"#)
        let lines = (0..<50).map { $0 % 3 == 0 ? "\($0) bad" : "\($0) ok" }
        let result = parse.process(lines.map(Self.fromBytes))
        #expect(result.records.map { $0[field: "n"] } == lines.indices.filter { $0 % 3 != 0 }.map { .string(String($0)) })
        #expect(result.failures.map(\.record[field: "message"]) == lines.filter { $0.hasSuffix("bad") }.map { .string($0) })
    }
}
