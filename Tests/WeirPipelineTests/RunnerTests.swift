import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

@Suite("weir run: delivery, dead letters, chaining, parallelism")
struct RunnerTests {
    @Test("a stop drains: sources stop, sinks write everything appended and commit it")
    func gracefulStop() throws {
        let h = try RunnerHarness()
        try h.start(
            """
            name: steady
            topics: { t: { partitions: 3 } }
            sources:
              g: { type: generate, rate: 2000, lines: ["tick"], topic: t }
            sinks:
              out: { type: file, inputs: [t], path: "\(h.path("out.txt"))", encoding: text }
            """)
        h.waitUntil("some output") { h.lines("out.txt").count > 200 }
        let summary = try h.stopAndWait()
        let written = h.lines("out.txt")
        #expect(summary.appended["g"] == written.count)
        #expect(summary.written["out"] == written.count)
        #expect(Set(written).count == written.count)
        // Every partition is committed to its end: nothing is left for the next run.
        let described = try h.log.describeGroup("steady.out")
        #expect(described.count == 3)
        #expect(described.allSatisfy { $0.lag == 0 }, "\(described)")
        // A restart continues the count where the log says it stopped.
        try h.start(
            """
            name: steady
            topics: { t: { partitions: 3 } }
            sources:
              g: { type: generate, count: \(written.count + 10), lines: ["tick"], topic: t }
            sinks:
              out: { type: file, inputs: [t], path: "\(h.path("out.txt"))", encoding: text }
            """)
        h.waitUntil("ten more") { h.lines("out.txt").count == written.count + 10 }
        try h.stopAndWait()
        #expect(Set(h.lines("out.txt")) == Set((0..<(written.count + 10)).map { "tick \($0)" }))
    }

    @Test("records a transform cannot handle go to <pipeline>.dlq with the component and reason; drop and fail do as they say")
    func deadLetters() throws {
        let h = try RunnerHarness()
        try h.append("in.log", "{\"level\":\"info\"}\nnot json\n{\"level\":\"warn\"}\n")
        func yaml(_ onError: String) -> String {
            """
            name: dl
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(h.path("in.log"))"], topic: raw }
            transforms:
              parsed: { type: parse_json, inputs: [raw], on_error: \(onError) }
            sinks:
              out: { type: file, inputs: [parsed], path: "\(h.path("out-\(onError).json"))", encoding: json }
            """
        }
        let summary = try h.runOnce(yaml("dlq"))
        #expect(summary.written["out"] == 2)
        #expect(summary.failed["out"] == 1)
        let letters = try h.log.topic("dl.dlq").partitions[0]
        var reader = PartitionReader(partition: letters, from: 0)
        var found: [(String, [String: String])] = []
        try reader.read(upTo: letters.endOffset) { view in
            let headers = Dictionary(uniqueKeysWithValues: view.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) })
            found.append((String(decoding: view.value!, as: UTF8.self), headers))
            return true
        }
        #expect(found.count == 1)
        #expect(found.first?.0 == #"{"message":"not json"}"#)
        #expect(found.first?.1["weir.component"] == "parsed")
        #expect(found.first?.1["weir.reason"]?.isEmpty == false)

        let dropped = try RunnerHarness()
        try dropped.append("in.log", "{\"a\":1}\nnot json\n")
        let dropYaml = yaml("drop").replacingOccurrences(of: h.directory, with: dropped.directory)
        #expect(try dropped.runOnce(dropYaml).written["out"] == 1)
        #expect((try? dropped.log.topic("dl.dlq")) == nil)

        let failing = try RunnerHarness()
        try failing.append("in.log", "not json\n")
        #expect(throws: (any Error).self) {
            try failing.runOnce(yaml("fail").replacingOccurrences(of: h.directory, with: failing.directory))
        }
        #expect(failing.lines("out-fail.json").isEmpty)
    }

    @Test("a topic sink chains pipelines, keyed by an expression")
    func topicSink() throws {
        let h = try RunnerHarness()
        try h.append("in.log", "user=ann action=login\nuser=bob action=logout\nuser=ann action=logout\n")
        try h.runOnce(
            """
            name: first
            topics: { raw: {}, users: { partitions: 4 } }
            sources:
              f: { type: file, paths: ["\(h.path("in.log"))"], topic: raw }
            transforms:
              kv: { type: parse_logfmt, inputs: [raw] }
            sinks:
              forward: { type: topic, inputs: [kv], topic: users, key: '.user' }
            """)
        let users = try h.log.topic("users")
        var byPartition: [Int: [String]] = [:]
        for partition in users.partitions {
            var reader = PartitionReader(partition: partition, from: 0)
            try reader.read(upTo: partition.endOffset) { view in
                byPartition[partition.id, default: []].append(String(decoding: view.key!, as: UTF8.self))
                return true
            }
        }
        // Each user's records share one partition (Kafka's murmur2 of the key).
        #expect(byPartition.values.flatMap { $0 }.sorted() == ["ann", "ann", "bob"])
        #expect(byPartition.values.contains { $0.filter { $0 == "ann" }.count == 2 })

        try h.runOnce(
            """
            name: second
            topics: { users: { partitions: 4 } }
            sources: {}
            transforms:
              fields: { type: parse_json, inputs: [users] }
            sinks:
              out: { type: file, inputs: [fields], path: "\(h.path("users.json"))", encoding: json }
            """)
        #expect(h.lines("users.json").count == 3)
        #expect(h.lines("users.json").allSatisfy { $0.contains("\"action\":\"log") && $0.contains("\"user\":") })
    }

    @Test("parallelism: 2 members share the partitions and together write every record once")
    func parallelism() throws {
        let h = try RunnerHarness()
        let summary = try h.runOnce(
            """
            name: wide
            topics: { t: { partitions: 4 } }
            sources:
              g: { type: generate, count: 50000, topic: t }
            transforms:
              odd: { type: filter, inputs: [t], condition: '.message ends_with "1"', parallelism: 2 }
            sinks:
              out: { type: file, inputs: [odd], path: "\(h.path("out.txt"))", encoding: text, parallelism: 2 }
            """)
        let written = h.lines("out.txt")
        #expect(summary.written["out"] == 5000)
        #expect(Set(written) == Set((0..<50000).filter { $0 % 10 == 1 }.map { "generated line \($0)" }))
        #expect(written.count == 5000)
    }
}
