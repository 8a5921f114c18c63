import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

/// A `text` sink with no transform before it writes the values where they were read
/// (`ValueLines`), never making a record: what it writes must be what writing the
/// records gives, for every byte a line may hold.
@Suite("text sinks write values without making records")
struct ValueLinesTests {
    /// ASCII, UTF-8, empty, bytes that are not UTF-8 (a bad continuation, a lone 0xFF, a
    /// sequence cut short, an encoded surrogate), and a long line.
    static let values: [[UInt8]] = [
        Array("plain line".utf8), [], Array("Ünïcode ✓ 🙂".utf8), [0x61, 0xC3, 0x28], [0xFF], [0x41, 0xE2, 0x82],
        [0xED, 0xA0, 0x80, 0x62], Array(repeating: UInt8(ascii: "x"), count: 300),
    ]

    static func written(_ values: [[UInt8]], timestamp: Int64 = 7) -> (byValues: [UInt8], byRecords: [UInt8]) {
        var joined: [UInt8] = []
        var entries: [FetchedBatch.Entry] = []
        for (i, value) in values.enumerated() {
            joined += value
            entries.append(.init(end: joined.count, offset: Int64(i), timestamp: timestamp, key: nil, headers: []))
        }
        var scratch = JSONObjectScratch()
        var byValues: [UInt8] = []
        joined.withUnsafeBufferPointer { values in
            entries.withUnsafeBufferPointer { entries in
                let lines = ValueLines(values: values, entries: entries)
                for i in 0..<lines.count {
                    lines.write(i, into: &byValues, scratch: &scratch)
                    byValues.append(0x0a)
                }
            }
        }
        var byRecords: [UInt8] = []
        for value in values {
            RecordEncoding.text.write(PipelineRecord(message: value[...], timestamp: timestamp), into: &byRecords)
            byRecords.append(0x0a)
        }
        return (byValues, byRecords)
    }

    @Test("each value is written as the text encoding writes its record")
    func sameAsRecords() {
        let mixed = Self.written(Self.values)
        #expect(mixed.byValues == mixed.byRecords)
        // A bad byte is written as U+FFFD, as decoding it gives; good UTF-8 as it is.
        #expect(mixed.byValues.split(separator: 0x0a, omittingEmptySubsequences: false)[4].elementsEqual("\u{FFFD}".utf8))
        #expect(String(decoding: mixed.byValues, as: UTF8.self).contains("Ünïcode ✓ 🙂"))
        let ascii = Self.written([Array("a".utf8), Array("b c".utf8)])
        #expect(ascii.byValues == Array("a\nb c\n".utf8))
        #expect(ascii.byValues == ascii.byRecords)
    }

    @Test("a batch passes unchanged only into a sink that reads its topic once and no transform reading it")
    func passesUnchanged() throws {
        let h = try RunnerHarness()
        let definition = try h.definition(
            """
            name: p
            topics: { a: { partitions: 1 }, b: { partitions: 1 } }
            sources:
              f: { type: file, paths: ["\(h.path("in.log"))"], topic: a }
            transforms:
              kept: { type: filter, inputs: [b], condition: 'true' }
            sinks:
              out: { type: file, inputs: [a, kept], path: "\(h.path("out.log"))", encoding: text }
            """)
        let graph = try TransformGraph(definition: definition, wanted: ["a", "kept"], registry: .builtIn)
        #expect(graph.passesUnchanged("a"))
        #expect(!graph.passesUnchanged("b"))
        let twice = try TransformGraph(definition: definition, wanted: ["a", "a"], registry: .builtIn)
        #expect(!twice.passesUnchanged("a"))
    }

    @Test(
        "a text file sink straight off a topic writes what one behind a transform writes, rotated by size",
        arguments: [1, 2])
    func directAndThroughTransform(parallelism: Int) throws {
        let h = try RunnerHarness()
        var input: [UInt8] = []
        var expected: [String] = []
        for i in 0..<3000 {
            let value = Self.values[i % Self.values.count] + Array(" \(i)".utf8)
            input += value + [0x0a]
            expected.append(String(decoding: value, as: UTF8.self))
        }
        #expect(FileManager.default.createFile(atPath: h.path("in.log"), contents: Data(input)))
        let summary = try h.runOnce(
            """
            name: p
            topics: { t: { partitions: 3 } }
            sources:
              f: { type: file, paths: ["\(h.path("in.log"))"], topic: t }
            transforms:
              all: { type: filter, inputs: [t], condition: 'true' }
            sinks:
              direct: { type: file, inputs: [t], path: "\(h.path("direct/out.log"))", encoding: text, max_bytes: 20000, parallelism: \(parallelism) }
              through: { type: file, inputs: [all], path: "\(h.path("through/out.log"))", encoding: text, max_bytes: 20000, parallelism: \(parallelism) }
            """)
        #expect(summary.written["direct"] == 3000)
        #expect(summary.written["through"] == 3000)
        func lines(_ directory: String) throws -> [String] {
            let files = try FileManager.default.contentsOfDirectory(atPath: h.path(directory))
            #expect(files.count > 5)
            for file in files {
                let size = try FileManager.default.attributesOfItem(atPath: h.path("\(directory)/\(file)"))[.size] as? Int
                #expect((size ?? 0) <= 20000)
            }
            return files.flatMap { h.lines("\(directory)/\($0)") }
        }
        let direct = try lines("direct")
        #expect(direct.sorted() == expected.sorted())
        #expect(try lines("through").sorted() == direct.sorted())
    }

    @Test("a text topic sink straight off a topic copies each value as the record path would")
    func topicToTopic() throws {
        let h = try RunnerHarness()
        var input: [UInt8] = []
        for i in 0..<500 { input += Self.values[i % Self.values.count] + Array(" \(i)\n".utf8) }
        #expect(FileManager.default.createFile(atPath: h.path("in.log"), contents: Data(input)))
        let summary = try h.runOnce(
            """
            name: p
            topics: { a: { partitions: 2 }, b: { partitions: 1 } }
            sources:
              f: { type: file, paths: ["\(h.path("in.log"))"], topic: a }
            sinks:
              copy: { type: topic, inputs: [a], topic: b, encoding: text }
            """)
        #expect(summary.written["copy"] == 500)
        let b = try h.log.topic("b").partitions[0]
        var copied: [[UInt8]] = []
        var reader = PartitionReader(partition: b, from: 0)
        try reader.read(upTo: try b.endOffset) { view in
            #expect(view.key == nil)
            copied.append(Array(view.value ?? UnsafeRawBufferPointer(start: nil, count: 0)))
            return true
        }
        let expected = input.split(separator: 0x0a, omittingEmptySubsequences: false).dropLast().map {
            Array(String(decoding: $0, as: UTF8.self).utf8)
        }
        #expect(
            copied.map { String(decoding: $0, as: UTF8.self) }.sorted() == expected.map { String(decoding: $0, as: UTF8.self) }.sorted())
        #expect(Set(copied) == Set(expected))
    }

    @Test("a tapped text sink still shows its records")
    func tapped() async throws {
        let h = try RunnerHarness()
        try h.append("in.log", "")
        try h.start(
            """
            name: p
            topics: { t: { partitions: 1 } }
            sources:
              f: { type: tail, paths: ["\(h.path("in.log"))"], topic: t }
            sinks:
              out: { type: file, inputs: [t], path: "\(h.path("out.log"))", encoding: text }
            """)
        let sink = try #require(h.runner?.stats.first { $0.id == "out" })
        var batches = sink.tap.listen().makeAsyncIterator()
        try h.append("in.log", "one\ntwo\n")
        // Read here, not in a task that a busy pool may not run; a run that shows nothing
        // is stopped after 60 s, which ends the tap's stream (and `seen` stays short).
        let stop = h.stop
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { stop.set() }
        var seen: [String] = []
        while seen.count < 2, let batch = await batches.next() { seen += batch.map { RecordEncoding.text.line($0) } }
        #expect(seen == ["one", "two"])
        try h.stopAndWait()
        #expect(h.lines("out.log") == ["one", "two"])
    }
}
