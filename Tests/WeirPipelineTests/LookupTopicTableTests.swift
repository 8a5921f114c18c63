import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

@Suite("lookup: a topic as the table")
struct LookupTopicTableTests {
    /// Appends records to `topic` of the harness's log: a value each, keyed by `key`
    /// (a nil value is a tombstone).
    func put(_ h: RunnerHarness, _ topic: String, _ records: [(key: String, value: String?)]) throws {
        let topic = try h.log.topic(topic)
        _ = try topic.append(records.map { Record(key: Array($0.key.utf8), value: $0.value.map { Array($0.utf8) }, timestamp: 1) })
    }

    /// `events.log` through `parse_json` and the lookup `who` (`options` added) into `out.json`;
    /// `tail` follows the file while the run goes on, `file` reads it to its end.
    func enrich(_ h: RunnerHarness, _ options: String, source: String = "file") -> String {
        """
        name: enrich
        topics: { users: { partitions: 2 }, events: {} }
        sources:
          f: { type: \(source), paths: ["\(h.path("events.log"))"], topic: events\(source == "tail" ? ", scan_interval_ms: 20" : "") }
        transforms:
          parsed: { type: parse_json, inputs: [events] }
          who: { type: lookup, inputs: [parsed], topic: users, key: user_id\(options) }
        sinks:
          out: { type: file, inputs: [who], path: "\(h.path("out.json"))", encoding: json }
        """
    }

    func value(_ line: String) throws -> Fields {
        guard case .object(let fields) = try JSONValueParser.parse(Array(line.utf8)) else { throw PipelineError(description: line) }
        return fields
    }

    @Test("events are enriched with the latest record per key, and a later update is seen by later events while the run goes on")
    func followsTheTopic() throws {
        let h = try RunnerHarness()
        _ = try h.log.createTopic("users", config: TopicConfig(partitions: 2))
        try put(
            h, "users",
            [
                ("u1", #"{"user_id":"u1","name":"Ann","plan":"free"}"#),
                ("u2", #"{"user_id":"u2","name":"Bob"}"#),
                ("u1", #"{"user_id":"u1","name":"Ann","plan":"pro"}"#),
                ("x", "not json"),  // skipped, with a warning
                ("u3", #"{"user_id":"u3","name":"Cy"}"#),
                ("u3", nil),  // a tombstone: u3 is deleted
            ])
        try h.append(
            "events.log", #"{"user_id":"u1","n":1}"# + "\n" + #"{"user_id":"u3","n":2}"# + "\n" + #"{"user_id":"u9","n":3}"# + "\n")
        try h.start(enrich(h, "", source: "tail"))
        h.waitUntil("the first events are written") { h.lines("out.json").count == 3 }
        var out = try h.lines("out.json").map(value)
        try #require(out.count == 3)
        #expect(out.map { $0["n"] } == [.int(1), .int(2), .int(3)])
        #expect(out[0]["name"] == .string("Ann") && out[0]["plan"] == .string("pro"))
        // on_missing: keep (the default): a deleted or unknown key leaves the record as it is.
        #expect(out[1]["name"] == nil && out[2]["name"] == nil)

        // The update is in the log before the event is written: the event's batch sees it.
        try put(h, "users", [("u2", #"{"user_id":"u2","name":"Bob","plan":"pro"}"#), ("9", #"{"user_id":9,"name":"Nine"}"#)])
        try h.append("events.log", #"{"user_id":"u2","n":4}"# + "\n" + #"{"user_id":"9","n":5}"# + "\n")
        h.waitUntil("the later events are written") { h.lines("out.json").count == 5 }
        try h.stopAndWait()
        out = try h.lines("out.json").map(value)
        try #require(out.count == 5)
        #expect(out[3]["plan"] == .string("pro") && out[3]["name"] == .string("Bob"))
        // A number key in the table is matched by its decimal form.
        #expect(out[4]["name"] == .string("Nine"))
    }

    @Test(
        "on_missing: dead_letter sends a record whose key the table lacks to the dead-letter topic, with the topic named; target nests the row"
    )
    func deadLetterAndTarget() throws {
        let h = try RunnerHarness()
        _ = try h.log.createTopic("users", config: TopicConfig(partitions: 2))
        try put(h, "users", [("u1", #"{"user_id":"u1","name":"Ann","plan":"pro"}"#)])
        try h.append("events.log", #"{"user_id":"u1"}"# + "\n" + #"{"user_id":"u2"}"# + "\n")
        let summary = try h.runOnce(enrich(h, ", on_missing: dead_letter, target: user, columns: [name]"))
        #expect(summary.written["out"] == 1)
        #expect(summary.failed["out"] == 1)
        let out = try h.lines("out.json").map(value)
        #expect(out.first?["user"] == .object(["name": .string("Ann")]))
        let letters = try h.log.topic("enrich.dlq").partitions[0]
        var reader = PartitionReader(partition: letters, from: 0)
        var reasons: [String] = []
        try reader.read(upTo: letters.endOffset) { view in
            reasons += view.headers.filter { $0.key == "weir.reason" }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            return true
        }
        #expect(reasons == ["lookup: the table topic 'users' has no key 'u2' ('user_id')"])
    }

    @Test("a table topic with more keys than max_keys stops the run, saying so")
    func maxKeys() throws {
        let h = try RunnerHarness()
        _ = try h.log.createTopic("users", config: TopicConfig(partitions: 2))
        try put(h, "users", [("u1", #"{"user_id":"u1"}"#), ("u1", #"{"user_id":"u1","a":1}"#), ("u2", #"{"user_id":"u2"}"#)])
        try h.append("events.log", #"{"user_id":"u1"}"# + "\n")
        let error = #expect(throws: (any Error).self) { try h.runOnce(enrich(h, ", max_keys: 1")) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("more keys than max_keys (1)"))
        #expect(h.lines("out.json").isEmpty)
    }

    @Test("without a log (weir test) the first batch stops with the reason")
    func noLog() throws {
        let t = LookupTransform(
            id: "t", field: "user_id", target: nil, overwrite: false, onMissing: .keep, file: nil,
            topic: LookupTopicTable(topic: "users", key: "user_id", columns: nil, maxKeys: 10, log: nil, pipeline: "p", component: "t"))
        let out = t.process([PipelineRecord(timestamp: 1, fields: ["user_id": .string("u1")])])
        #expect(out.fatal?.contains("none (weir test)") == true)
    }

    func diagnostics(_ lookup: String) -> [String] {
        let yaml = """
            name: v
            topics: { users: {}, events: {} }
            sources: {}
            transforms:
              who: { type: lookup, inputs: [events], \(lookup) }
            sinks:
              out: { type: stdout, inputs: [who] }
            """
        return PipelineLoader(catalog: ComponentRegistry.builtIn).load(text: yaml, file: "p.yaml", defaultName: "v").1.map(\.description)
    }

    @Test("validate: an undeclared table topic is an error at the option, as are path and topic together and file options with a topic")
    func validation() {
        #expect(diagnostics("topic: users, key: id").isEmpty)
        #expect(
            diagnostics("topic: user, key: id") == [
                "p.yaml:5:49: transform 'who' reads topic 'user' as its table, which is not declared under topics (did you mean 'users'?)"
            ])
        #expect(diagnostics("topic: users, path: /t.csv, key: id").first?.contains("topic is given with path") == true)
        #expect(diagnostics("key: id").first?.contains("path or topic is required") == true)
        #expect(diagnostics("topic: users, key: id, format: csv").first?.contains("format is for a table file (path)") == true)
        #expect(diagnostics("path: /t.csv, key: id, max_keys: 5").first?.contains("max_keys is for a table topic") == true)
    }

    @Test("rows: updates in place, deletes, and a compaction once deleted keys outnumber the live ones keeps every live row")
    func rows() {
        var rows = LookupTopicRows()
        func set(_ key: String, _ n: Int) {
            var key = key
            key.withUTF8 { rows.set($0, ["n": .int(Int64(n))]) }
        }
        func get(_ key: String) -> Fields? {
            var key = key
            return key.withUTF8 { rows.index.row($0) }.flatMap { rows.row(at: $0) }
        }
        for i in 0..<5000 { set("key-\(i)", i) }
        set("key-7", -7)
        #expect(rows.live == 5000)
        for i in 0..<4000 {
            var key = "key-\(i)"
            key.withUTF8 { rows.remove($0) }
        }
        #expect(rows.live == 1000)
        // Compacted: the index holds about the live keys, not all 5000.
        #expect(rows.index.count < 3000)
        #expect(get("key-7") == nil && get("key-3999") == nil)
        #expect((4000..<5000).allSatisfy { get("key-\($0)") == ["n": .int(Int64($0))] })
        set("key-7", 7)
        #expect(get("key-7") == ["n": .int(7)] && rows.live == 1001)
    }
}
