import Foundation
import Synchronization
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

/// A sink that reads JSON itself (`JSONObjectsWriter`) gets a batch's values as read when
/// a `parse_json` reading a topic is all that stands before it, and parsed records
/// otherwise: when the graph is more than that, when a record is no JSON object (which
/// `parse_json` then fails), or when someone taps.
@Suite("JSON read in place by the sink")
struct JSONInPlaceTests {
    /// What the probe sink was given: "values n,n,…" or "records n,n,…" per batch.
    final class Recorder: Sendable {
        let batches = Mutex<[String]>([])
    }

    /// Counts what it is given by way; with `waitsOnServer`, so its batches are prepared
    /// on the members' prefetch threads.
    final class Probe: JSONObjectsWriter {
        let recorder: Recorder
        var waitsOnServer: Bool { true }

        init(_ recorder: Recorder) { self.recorder = recorder }

        static func numbers(_ records: [PipelineRecord]) -> String {
            records.map { record in if case .int(let n) = record.fields["n"] { "\(n)" } else { "-" } }.joined(separator: ",")
        }

        func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
            let line = "records " + Self.numbers(records)
            recorder.batches.withLock { $0.append(line) }
        }

        func encode(_ values: TopicValues, parsing parser: JSONFieldParser) -> (any Sendable)? {
            parser.parsed(values).map { "values " + Self.numbers($0) }
        }

        func write(
            encoded: any Sendable, parsed: () throws -> [PipelineRecord], input: TopicPartition, next: Int64,
            checkpoint: inout SinkCheckpoint
        ) throws {
            let line = try #require(encoded as? String)
            // The parsed records, when asked for, are those the values stand for.
            #expect("values " + Self.numbers(try parsed()) == line)
            recorder.batches.withLock { $0.append(line) }
        }
    }

    /// Runs `lines` through `transforms` into the probe, reading `input` (with someone
    /// tapping component `tapped`): the batches it was given, the reasons of the dead
    /// letters, the records counted failed, and what transform `j` counted.
    static func run(_ transforms: String, input: String, lines: [String], tapped: String? = nil) throws -> (
        batches: [String], dead: [String], failed: Int, parsed: ComponentStats.Counts
    ) {
        let h = try RunnerHarness()
        let recorder = Recorder()
        h.registry.register(ComponentSpec(type: "probe", kind: .sink, summary: "records what it is given", options: [])) { _ in
            Probe(recorder)
        }
        try h.append("in.log", lines.map { $0 + "\n" }.joined())
        let runner = try PipelineRunner(
            definition: try h.definition(
                """
                name: p
                topics: { a: { partitions: 1 } }
                sources:
                  f: { type: file, paths: ["\(h.path("in.log"))"], topic: a }
                transforms:
                \(transforms)
                sinks:
                  out: { type: probe, inputs: [\(input)] }
                """), log: h.log, registry: h.registry)
        let tap = tapped.map { runner.stats(of: $0).tap.listen() }
        let summary = try runner.run(once: true, stop: StopFlag())
        _ = tap
        guard let letters = try? h.log.topic("p.dlq").partitions[0] else {
            return (recorder.batches.withLock { $0 }, [], summary.failed["out"] ?? 0, runner.stats(of: "j").counts)
        }
        var reader = PartitionReader(partition: letters, from: 0)
        var reasons: [String] = []
        try reader.read(upTo: letters.endOffset) { view in
            reasons += view.headers.filter { $0.key == "weir.reason" }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            return true
        }
        return (recorder.batches.withLock { $0 }, reasons, summary.failed["out"] ?? 0, runner.stats(of: "j").counts)
    }

    @Test("topic -> parse_json -> the sink: the values as read, and the transform counted them")
    func valuesInPlace() throws {
        let run = try Self.run("  j: { type: parse_json, inputs: [a] }", input: "j", lines: [#"{"n": 1}"#, #"{"n": 2}"#])
        #expect(run.batches == ["values 1,2"])
        #expect(run.dead.isEmpty)
        #expect(run.failed == 0)
        #expect(run.parsed.received == 2 && run.parsed.sent == 2 && run.parsed.errors == 0)
    }

    @Test("a line that is no JSON object: the batch goes through parse_json, which dead-letters that line")
    func notAnObject() throws {
        let run = try Self.run("  j: { type: parse_json, inputs: [a] }", input: "j", lines: [#"{"n": 1}"#, "oops", #"{"n": 3}"#])
        #expect(run.batches == ["records 1,3"])
        #expect(run.dead == ["parse_json: 'message' is not a JSON object"])
        #expect(run.failed == 1)
        #expect(run.parsed.received == 3 && run.parsed.sent == 2 && run.parsed.errors == 1)
    }

    @Test("someone tapping the parse_json or the sink: parsed records", arguments: ["j", "out"])
    func tapped(component: String) throws {
        let run = try Self.run("  j: { type: parse_json, inputs: [a] }", input: "j", lines: [#"{"n": 1}"#], tapped: component)
        #expect(run.batches == ["records 1"])
    }

    @Test("another transform after parse_json: parsed records")
    func moreThanParseJSON() throws {
        let transforms = """
              j: { type: parse_json, inputs: [a] }
              s: { type: set, inputs: [j], fields: { seen: 'true' } }
            """
        let run = try Self.run(transforms, input: "s", lines: [#"{"n": 1}"#])
        #expect(run.batches == ["records 1"])
    }

    @Test("which graphs are one parse_json reading a topic")
    func onlyJSONParse() throws {
        let h = try RunnerHarness()
        let definition = try h.definition(
            """
            name: p
            topics: { a: { partitions: 1 }, b: { partitions: 1 } }
            sources:
              f: { type: file, paths: ["/nonexistent/in.log"], topic: a }
            transforms:
              j: { type: parse_json, inputs: [a], field: body }
              two: { type: parse_json, inputs: [a, b] }
              again: { type: parse_json, inputs: [j] }
              r: { type: route, inputs: [a], routes: { x: 'true' } }
              rj: { type: parse_json, inputs: [r.x] }
            sinks:
              out: { type: blackhole, inputs: [j] }
            """)
        let graph = { (wanted: [String]) in try TransformGraph(definition: definition, wanted: wanted, registry: .builtIn) }
        #expect(try graph(["j"]).onlyJSONParse?.id == "j")
        #expect(try graph(["j"]).onlyJSONParse?.parser.field == "body")
        #expect(try graph(["two"]).onlyJSONParse == nil)
        #expect(try graph(["again"]).onlyJSONParse == nil)
        #expect(try graph(["rj"]).onlyJSONParse == nil)
        #expect(try graph(["j", "a"]).onlyJSONParse == nil)
        #expect(try graph(["a"]).onlyJSONParse == nil)
    }
}
