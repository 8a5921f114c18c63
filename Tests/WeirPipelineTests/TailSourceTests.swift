import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

@Suite("tail and file sources")
struct TailSourceTests {
    /// A source `logs` of `type` into `raw`, with `options` (indented four spaces), and a
    /// text file sink `out.txt`.
    func pipeline(_ h: RunnerHarness, paths: String, type: String = "tail", options: [String] = []) -> String {
        let timing = type == "tail" ? ["scan_interval_ms: 20", "partial_line_timeout_ms: 200"] : []
        return """
            name: tailing
            topics: { raw: { partitions: 2 } }
            sources:
              logs:
                type: \(type)
                paths: ["\(h.path(paths))"]
                topic: raw
            \((timing + options).map { "    " + $0 }.joined(separator: "\n"))
            sinks:
              out: { type: file, inputs: [raw], path: "\(h.path("out.txt"))", encoding: text }
            """
    }

    @Test("follows rotation by rename, copy-and-truncate and delete-and-recreate; CRLF; a last line without newline")
    func rotations() throws {
        let h = try RunnerHarness()
        try h.append("a.log", "1\r\n2\r\n3\r\n")
        try h.start(pipeline(h, paths: "a.log*"))
        h.waitUntil("3 lines") { h.lines("out.txt").count == 3 }

        // Rename: the old file is read to its end (a writer may still add to it), the new one from its start.
        try FileManager.default.moveItem(atPath: h.path("a.log"), toPath: h.path("a.log.1"))
        try h.append("a.log.1", "4\n")
        try h.append("a.log", "5\n6\n")
        h.waitUntil("6 lines") { h.lines("out.txt").count == 6 }

        // Copy-and-truncate, as logrotate's copytruncate does.
        try h.append("a.log", "7\n")
        try FileManager.default.copyItem(atPath: h.path("a.log"), toPath: h.path("a.log.2"))
        truncate(h.path("a.log"), 0)
        try h.append("a.log", "8\n")
        h.waitUntil("8 lines") { h.lines("out.txt").count == 8 }

        // Delete and recreate.
        try FileManager.default.removeItem(atPath: h.path("a.log"))
        try h.append("a.log", "9\n")
        // A last line without newline is appended once it stayed unchanged for the timeout.
        try h.append("a.log", "10")
        h.waitUntil("10 lines") { h.lines("out.txt").count == 10 }
        try h.stopAndWait()
        #expect(h.lines("out.txt").sorted { Int($0)! < Int($1)! } == (1...10).map(String.init))
    }

    @Test("a last line without newline is appended at shutdown, before its timeout")
    func partialAtShutdown() throws {
        let h = try RunnerHarness()
        try h.append("p.log", "whole\nhalf a line")
        try h.start(
            pipeline(h, paths: "p.log").replacingOccurrences(of: "partial_line_timeout_ms: 200", with: "partial_line_timeout_ms: 600000"))
        h.waitUntil("the whole line") { h.lines("out.txt").count == 1 }
        try h.stopAndWait()
        #expect(h.lines("out.txt") == ["whole", "half a line"])
    }

    /// Every record of the one-partition topic `raw`, in order.
    func records(_ h: RunnerHarness) throws -> [String] {
        let partition = try h.log.topic("raw").partitions[0]
        var values: [String] = []
        var reader = PartitionReader(partition: partition, from: try partition.startOffset)
        try reader.read(upTo: partition.endOffset) { view in
            values.append(view.value.map { String(decoding: $0, as: UTF8.self) } ?? "")
            return true
        }
        return values
    }

    @Test(
        "the newline ending a line appended unfinished at shutdown makes no record; an empty line still does",
        arguments: ["tail", "file"])
    func newlineAfterAppendedPartial(type: String) throws {
        let h = try RunnerHarness()
        let yaml = pipeline(h, paths: "p.log", type: type).replacingOccurrences(of: "partitions: 2", with: "partitions: 1")
            .replacingOccurrences(of: "partial_line_timeout_ms: 200", with: "partial_line_timeout_ms: 600000")
        func runToStop() throws {
            if type == "file" {
                try h.runOnce(yaml)
                return
            }
            try h.start(yaml)
            h.waitUntil("a and b") { (try? records(h).count) ?? 0 >= 2 }
            try h.stopAndWait()
        }
        try h.append("p.log", "a\nb\nc-partial")
        try runToStop()
        #expect(try records(h) == ["a", "b", "c-partial"])
        // A CRLF ends the appended line too; then a genuinely empty line.
        try h.append("p.log", "\r\nd\n\ne\nf-partial")
        try runToStop()
        #expect(try records(h) == ["a", "b", "c-partial", "d", "", "e", "f-partial"])
        try h.append("p.log", "\ng\n")
        try runToStop()
        #expect(try records(h) == ["a", "b", "c-partial", "d", "", "e", "f-partial", "g"])
    }

    @Test("the newline ending a line appended after partial_line_timeout_ms makes no record")
    func newlineAfterTimedOutPartial() throws {
        let h = try RunnerHarness()
        try h.append("t.log", "one\ntwo-")
        try h.start(pipeline(h, paths: "t.log").replacingOccurrences(of: "partitions: 2", with: "partitions: 1"))
        h.waitUntil("the unfinished line, after its timeout") { (try? records(h)) == ["one", "two-"] }
        try h.append("t.log", "\nthree\n")
        h.waitUntil("three") { (try? records(h).count) ?? 0 >= 3 }
        try h.stopAndWait()
        #expect(try records(h) == ["one", "two-", "three"])
    }

    @Test("with multiline, the newline ending a line appended unfinished joins nothing, across runs and within one")
    func multilineAfterPartial() throws {
        let rule = #"multiline: { start_pattern: '^20', max_lines: 50, timeout_ms: 600000 }"#
        let f = try RunnerHarness()
        let yaml = pipeline(f, paths: "m.log", type: "file", options: [rule]).replacingOccurrences(
            of: "partitions: 2", with: "partitions: 1")
        try f.append("m.log", "2024 a\n  cont")
        try f.runOnce(yaml)
        try f.append("m.log", "\n  more\n2024 b\n")
        try f.runOnce(yaml)
        #expect(try records(f) == ["2024 a\n  cont", "  more", "2024 b"])

        // Within one run: the unfinished line goes into the record being joined after its
        // timeout (there is no condition to wait for: it shows only in what follows).
        let t = try RunnerHarness()
        try t.append("m.log", "2024 a\n  cont")
        try t.start(pipeline(t, paths: "m.log", options: [rule]).replacingOccurrences(of: "partitions: 2", with: "partitions: 1"))
        usleep(600_000)
        try t.append("m.log", "\n  more\n2024 b\n")
        t.waitUntil("the first record") { (try? records(t).count) ?? 0 >= 1 }
        try t.stopAndWait()
        #expect(try records(t) == ["2024 a\n  cont\n  more", "2024 b"])
    }

    @Test("stopping appends an unfinished line of a file that appeared since the last scan")
    func partialInNewFileAtShutdown() throws {
        let h = try RunnerHarness()
        try h.append("a.log", "first\n")
        try h.start(pipeline(h, paths: "*.log").replacingOccurrences(of: "scan_interval_ms: 20", with: "scan_interval_ms: 600000"))
        h.waitUntil("the first line") { h.lines("out.txt").count == 1 }
        try h.append("b.log", "written just before the stop")
        try h.stopAndWait()
        #expect(h.lines("out.txt").sorted() == ["first", "written just before the stop"])
    }

    @Test("a stop with more unread than one round leaves the rest, and never cuts a line in two")
    func stopWithBacklog() throws {
        let h = try RunnerHarness()
        let expected = (0..<40_000).map { "line \($0) " + String(repeating: "x", count: 80) }
        try h.append("big.log", expected.joined(separator: "\n") + "\n")
        let yaml = pipeline(h, paths: "big.log")
        // Stopped before it starts: one scan and one round, then the stop.
        let stopped = StopFlag()
        stopped.set()
        _ = try PipelineRunner(definition: try h.definition(yaml), log: h.log).run(once: false, stop: stopped)
        let first = h.lines("out.txt")
        #expect(first.count > 0 && first.count < expected.count)
        let cut = Set(first).subtracting(expected)
        #expect(cut.isEmpty, "lines cut in two: \(cut.sorted().prefix(3))")
        try h.runOnce(yaml)
        let all = h.lines("out.txt")
        let once = all.sorted() == expected.sorted()
        #expect(once, "\(all.count) lines, \(Set(all).count) distinct, of \(expected.count)")
    }

    @Test("a file renamed while weir was stopped is recognised and only its new lines are read")
    func renamedWhileStopped() throws {
        let h = try RunnerHarness()
        try h.append("app.log", (1...100).map { "first run line \($0)\n" }.joined())
        let yaml = pipeline(h, paths: "*.log")
        try h.runOnce(yaml)
        #expect(h.lines("out.txt").count == 100)
        try FileManager.default.moveItem(atPath: h.path("app.log"), toPath: h.path("app-1.log"))
        try h.append("app-1.log", "after the move\n")
        try h.runOnce(yaml)
        #expect(h.lines("out.txt").count == 101)
        #expect(h.lines("out.txt").last == "after the move")
    }

    @Test("a new file is read from its start even when it has an old file's inode and length")
    func reusedInode() throws {
        let h = try RunnerHarness()
        try h.append("x.log", "old content one\n")
        let yaml = pipeline(h, paths: "x.log")
        try h.runOnce(yaml)
        var before = stat()
        stat(h.path("x.log"), &before)
        try FileManager.default.removeItem(atPath: h.path("x.log"))
        try h.append("x.log", "new content two\n")  // same length; ext4 and tmpfs often hand back the same inode
        var after = stat()
        stat(h.path("x.log"), &after)
        try h.runOnce(yaml)
        #expect(h.lines("out.txt") == ["old content one", "new content two"], "inode reused: \(before.st_ino == after.st_ino)")
    }

    @Test("read_from: end skips what files held at the first start and reads what comes after")
    func readFromEnd() throws {
        let h = try RunnerHarness()
        try h.append("e.log", "before 1\nbefore 2\n")
        try h.start(pipeline(h, paths: "e.log"))
        try h.stopAndWait()
        let h2 = try RunnerHarness()
        try h2.append("e.log", "before 1\nbefore 2\n")
        let yaml = pipeline(h2, paths: "e.log", options: ["read_from: end"])
        try h2.start(yaml)
        usleep(200_000)
        try h2.append("e.log", "after\n")
        h2.waitUntil("the new line") { h2.lines("out.txt").count == 1 }
        try h2.stopAndWait()
        #expect(h2.lines("out.txt") == ["after"])
        #expect(h.lines("out.txt") == ["before 1", "before 2"])
    }

    @Test("multiline joins a Java stack trace into one record")
    func multiline() throws {
        let h = try RunnerHarness()
        try h.append(
            "java.log",
            """
            2024-05-01 10:00:00 INFO started
            2024-05-01 10:00:01 ERROR request failed
            java.lang.IllegalStateException: boom
            \tat com.example.Service.handle(Service.java:42)
            \tat com.example.Main.main(Main.java:7)
            2024-05-01 10:00:02 INFO recovered

            """)
        let yaml = pipeline(
            h, paths: "java.log", type: "file",
            options: [#"multiline: { start_pattern: '^\d{4}-\d{2}-\d{2} ', max_lines: 50, timeout_ms: 100 }"#])
        let definition = try h.definition(yaml)
        try h.runOnce(yaml)
        #expect(definition.component("logs")?.options["multiline"] != nil)
        let topic = try h.log.topic("raw")
        var records: [String] = []
        for partition in topic.partitions {
            var reader = PartitionReader(partition: partition, from: 0)
            try reader.read(upTo: partition.endOffset) { view in
                records.append(String(decoding: view.value!, as: UTF8.self))
                return true
            }
        }
        #expect(records.count == 3)
        #expect(
            records.contains(
                "2024-05-01 10:00:01 ERROR request failed\njava.lang.IllegalStateException: boom\n\tat com.example.Service.handle(Service.java:42)\n\tat com.example.Main.main(Main.java:7)"
            ))
    }

    @Test("an over-long line is truncated to max_line_bytes, or sent to the dead-letter topic")
    func oversize() throws {
        let h = try RunnerHarness()
        try h.append("big.log", "short\n" + String(repeating: "x", count: 5000) + "\nafter\n")
        let yaml = pipeline(h, paths: "big.log", type: "file", options: ["max_line_bytes: 100"])
        try h.runOnce(yaml)
        #expect(h.lines("out.txt").sorted() == ["after", "short", String(repeating: "x", count: 100)])

        let d = try RunnerHarness()
        try d.append("big.log", "short\n" + String(repeating: "y", count: 5000) + "\nafter\n")
        try d.runOnce(pipeline(d, paths: "big.log", type: "file", options: ["max_line_bytes: 100", "oversize: dlq"]))
        #expect(d.lines("out.txt").sorted() == ["after", "short"])
        let letters = try d.log.topic("tailing.dlq").partitions[0]
        var reader = PartitionReader(partition: letters, from: 0)
        var reasons: [String] = []
        try reader.read(upTo: letters.endOffset) { view in
            #expect(view.value?.count == 100)
            reasons += view.headers.filter { $0.key == "weir.reason" }.map { String(decoding: $0.value!, as: UTF8.self) }
            return true
        }
        #expect(reasons == ["line longer than max_line_bytes (100)"])
    }
}
