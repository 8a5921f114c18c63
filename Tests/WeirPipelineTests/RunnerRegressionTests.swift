import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

/// Defects an independent review found in the runner, each shown fixed.
@Suite("weir run: regressions")
struct RunnerRegressionTests {
    @Test("a file sink killed during its very first write restarts from an empty file")
    func firstCommit() throws {
        let h = try RunnerHarness()
        try h.append("in.log", "")
        let yaml = """
            name: first
            topics: { t: {} }
            sources:
              f: { type: file, paths: ["\(h.path("in.log"))"], topic: t }
            sinks:
              out: { type: file, inputs: [t], path: "\(h.path("out.txt"))", encoding: text }
            """
        // The state a run leaves when killed during its first write: the file is listed as
        // the sink's own (that comes first), holds bytes, and no commit covers them.
        try h.append("data/pipelines/first/sink-out.files", h.path("out.txt") + "\n")
        try h.append("out.txt", "half of a first batch that was never committed\n")
        try h.append("in.log", "a\nb\n")
        try h.runOnce(yaml)
        #expect(h.lines("out.txt") == ["a", "b"])
    }

    @Test("a file cut and rewritten past the old end between two reads is read again from its start")
    func rewrittenBetweenReads() throws {
        let h = try RunnerHarness()
        try h.append("r.log", (0..<100).map { "old line \($0)" }.joined(separator: "\n") + "\n")
        try h.start(
            """
            name: rewritten
            topics: { t: {} }
            sources:
              f: { type: tail, paths: ["\(h.path("r.log"))"], topic: t, scan_interval_ms: 60000 }
            sinks:
              out: { type: file, inputs: [t], path: "\(h.path("out.txt"))", encoding: text }
            """)
        h.waitUntil("the old lines") { h.lines("out.txt").count == 100 }
        // In one step, far quicker than a scan: cut, then write more than there was.
        let fd = open(h.path("r.log"), O_WRONLY)
        ftruncate(fd, 0)
        let fresh = (0..<200).map { "new line \($0)" }.joined(separator: "\n") + "\n"
        _ = fresh.withCString { pwrite(fd, $0, strlen($0), 0) }
        close(fd)
        h.waitUntil("the new lines") { h.lines("out.txt").count == 300 }
        try h.stopAndWait()
        #expect(Array(h.lines("out.txt").suffix(200)) == (0..<200).map { "new line \($0)" })
    }

    @Test("read_from: end applies to the first start only: lines written while stopped are read")
    func readFromEndOnce() throws {
        let h = try RunnerHarness()
        try h.append("e.log", "there before\n")
        let yaml = """
            name: fromend
            topics: { t: {} }
            sources:
              f: { type: tail, paths: ["\(h.path("e.log"))"], topic: t, read_from: end, scan_interval_ms: 20 }
            sinks:
              out: { type: file, inputs: [t], path: "\(h.path("out.txt"))", encoding: text }
            """
        try h.start(yaml)
        usleep(200_000)
        try h.stopAndWait()
        try h.append("e.log", "written while stopped\n")
        try h.start(yaml)
        h.waitUntil("the line written while stopped") { h.lines("out.txt").count == 1 }
        try h.stopAndWait()
        #expect(h.lines("out.txt") == ["written while stopped"])
    }

    @Test("a torn checkpoint slot leaves the previous commit; a failed write never overwrites the last intact slot")
    func slottedCheckpoint() throws {
        let h = try RunnerHarness()
        let path = h.path("c.checkpoint")
        let store = try SlottedCheckpoint(path: path)
        #expect(store.read() == nil)
        try store.write(Array("first".utf8))
        try store.write(Array("second".utf8))
        #expect(store.read().map { String(decoding: $0, as: UTF8.self) } == "second")
        // Tear the newer slot (sequence 2 lives in slot 0): the older one is read.
        let fd = open(path, O_WRONLY)
        _ = "garbage".withCString { pwrite(fd, $0, 7, 20) }
        close(fd)
        let reopened = try SlottedCheckpoint(path: path)
        #expect(reopened.read().map { String(decoding: $0, as: UTF8.self) } == "first")
        try reopened.write(Array("third".utf8))
        #expect(try SlottedCheckpoint(path: path).read().map { String(decoding: $0, as: UTF8.self) } == "third")
    }
}
