import Foundation
import Testing
import WeirLog

@testable import WeirPipeline

/// `tail` woken by inotify, and the same without it (the timer fallback).
///
/// Files are closed as soon as they are read to their end (`closeIdleMs` 0) and, with
/// inotify, the globs are scanned again only hourly: a line written to such a file arrives
/// only because a change was reported. Without inotify the globs are scanned every 50 ms.
@Suite("tail woken by inotify, and without it")
struct TailWatchTests {
    /// A continuous run of `yaml` whose `tail` sources use `watch`, on a thread of its own.
    final class Run: @unchecked Sendable {  // `outcome` is written before `finished` signals, read after
        let stop = StopFlag()
        private let finished = DispatchSemaphore(value: 0)
        private var outcome: Result<PipelineRunner.Summary, any Error>?

        init(_ h: RunnerHarness, _ yaml: String, watch: Bool, scanIntervalMs: Int64? = nil) throws {
            var registry = ComponentRegistry.builtIn
            let spec = try #require(registry.spec(.source, "tail"))
            registry.register(spec) { componentOptions in
                var options = FileSource.Options(componentOptions)
                options.watch = watch
                options.closeIdleMs = 0
                options.scanIntervalMs = scanIntervalMs ?? (watch ? 3_600_000 : 50)
                return FileSourcePlugin(options: options)
            }
            let runner = try PipelineRunner(definition: try h.definition(yaml), log: h.log, registry: registry)
            let stop = stop
            Thread.detachNewThread { [self] in
                outcome = Result { try runner.run(once: false, stop: stop) }
                finished.signal()
            }
        }

        /// Stops the run as SIGTERM does and waits for it to return.
        func stopAndWait() throws {
            stop.set()
            finished.wait()
            _ = try outcome?.get()
        }
    }

    func pipeline(_ h: RunnerHarness, paths: String) -> String {
        """
        name: watching
        topics: { raw: { partitions: 1 } }
        sources:
          logs: { type: tail, paths: ["\(h.path(paths))"], topic: raw }
        sinks:
          out: { type: file, inputs: [raw], path: "\(h.path("out.txt"))", encoding: text }
        """
    }

    @Test("a line appended to one of many idle files arrives", arguments: [true, false])
    func appendToIdleFile(watch: Bool) throws {
        let h = try RunnerHarness()
        for n in 0..<300 { try h.append("logs/f\(n).log", "f\(n) one\nf\(n) two\n") }
        let run = try Run(h, pipeline(h, paths: "logs/*.log"), watch: watch)
        h.waitUntil("the first lines") { h.lines("out.txt").count == 600 }
        // Every file read to its end is closed at once; a little later none is open.
        usleep(100_000)
        try h.append("logs/f137.log", "f137 three\n")
        h.waitUntil("the appended line") { h.lines("out.txt").count == 601 }
        try h.append("logs/f3.log", "f3 three\n")
        try h.append("logs/f299.log", "f299 three\n")
        h.waitUntil("two more lines") { h.lines("out.txt").count == 603 }
        try run.stopAndWait()
        let expected = (0..<300).flatMap { ["f\($0) one", "f\($0) two"] } + ["f137 three", "f3 three", "f299 three"]
        #expect(h.lines("out.txt").sorted() == expected.sorted())
    }

    @Test(
        "rotation by rename, a new file, copy-and-truncate and delete-and-recreate while idle deliver every line once",
        arguments: [true, false])
    func rotationWhileIdle(watch: Bool) throws {
        let h = try RunnerHarness()
        try h.append("app.log", "1\n2\n")
        let run = try Run(h, pipeline(h, paths: "app.log*"), watch: watch)
        h.waitUntil("2 lines") { h.lines("out.txt").count == 2 }
        usleep(100_000)

        // Rename, a line more in the renamed file, then a new file at the old path.
        try FileManager.default.moveItem(atPath: h.path("app.log"), toPath: h.path("app.log.1"))
        try h.append("app.log.1", "3\n")
        try h.append("app.log", "4\n5\n")
        h.waitUntil("5 lines") { h.lines("out.txt").count == 5 }
        usleep(100_000)

        // Copy-and-truncate.
        try h.append("app.log", "6\n")
        try FileManager.default.copyItem(atPath: h.path("app.log"), toPath: h.path("app.log.2"))
        truncate(h.path("app.log"), 0)
        try h.append("app.log", "7\n")
        h.waitUntil("7 lines") { h.lines("out.txt").count == 7 }
        usleep(100_000)

        // Delete and recreate (often with the old inode, here with the old size too).
        try FileManager.default.removeItem(atPath: h.path("app.log"))
        try h.append("app.log", "8\n")
        h.waitUntil("8 lines") { h.lines("out.txt").count == 8 }
        try h.append("app.log.1", "9\n")
        h.waitUntil("9 lines") { h.lines("out.txt").count >= 9 }
        try run.stopAndWait()
        #expect(h.lines("out.txt").sorted { Int($0) ?? 0 < Int($1) ?? 0 } == (1...9).map(String.init))
    }

    @Test("inotify starts here: the tests with watching test watching, not the timer")
    func watcherStarts() throws {
        #if os(Linux)
        let watcher = try #require(FileWatcher(), "inotify_init1 failed: \(String(cString: strerror(errno)))")
        #expect(watcher.watch(FileManager.default.temporaryDirectory.path) == .watching)
        #expect(!watcher.failed)
        watcher.stop()
        watcher.stop()
        #endif
    }

    @Test("copy-and-truncate of a closed file, copied in chunks, delivers every line once", arguments: [true, false])
    func copyTruncateWhileParked(watch: Bool) throws {
        let h = try RunnerHarness()
        let count = 30_000
        let text = (0..<count).map { String(format: "line %05d", $0) + "\n" }.joined()
        try h.append("app.log", text)
        #expect(text.utf8.count >= 256 << 10)
        let run = try Run(h, pipeline(h, paths: "app.log*"), watch: watch)
        h.waitUntil("the first lines") { h.lines("out.txt").count == count }
        // Closed once read; the copy is written in 64 KiB chunks, looked at half-written.
        usleep(100_000)
        let bytes = Array(text.utf8)
        let copy = open(h.path("app.log.1"), O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(copy >= 0)
        for start in stride(from: 0, to: bytes.count, by: 64 << 10) {
            let chunk = bytes[start..<min(start + (64 << 10), bytes.count)]
            _ = chunk.withUnsafeBytes { write(copy, $0.baseAddress, $0.count) }
            usleep(80_000)
        }
        close(copy)
        truncate(h.path("app.log"), 0)
        try h.append("app.log", "after\n")
        h.waitUntil("the line after the truncation") { h.lines("out.txt").contains("after") }
        try run.stopAndWait()
        let lines = h.lines("out.txt")
        #expect(lines.count == count + 1)
        #expect(Set(lines).count == lines.count)
    }

    @Test("a line appended to the target of a symlinked file while idle arrives", arguments: [true, false])
    func symlinkedFile(watch: Bool) throws {
        let h = try RunnerHarness()
        try h.append("pods/app/0.log", "one\n")
        try FileManager.default.createDirectory(atPath: h.path("containers"), withIntermediateDirectories: true)
        #expect(symlink(h.path("pods/app/0.log"), h.path("containers/app.log")) == 0)
        // Looked at every 50 ms, as a symlinked file is; a watched source would scan hourly.
        let run = try Run(h, pipeline(h, paths: "containers/*.log"), watch: watch, scanIntervalMs: 50)
        h.waitUntil("the first line") { h.lines("out.txt").count == 1 }
        usleep(100_000)
        try h.append("pods/app/0.log", "two\n")
        h.waitUntil("the appended line") { h.lines("out.txt").count == 2 }
        try run.stopAndWait()
        #expect(h.lines("out.txt") == ["one", "two"])
    }

    @Test("a directory a wildcard matches, created while running, is read")
    func directoryCreatedLater() throws {
        let h = try RunnerHarness()
        try h.append("logs/a/x.log", "a\n")
        let run = try Run(h, pipeline(h, paths: "logs/*/x.log"), watch: true)
        h.waitUntil("the first line") { h.lines("out.txt").count == 1 }
        try h.append("logs/b/x.log", "b\n")
        h.waitUntil("the line in the new directory") { h.lines("out.txt").count == 2 }
        try h.append("logs/b/x.log", "b2\n")
        h.waitUntil("the line appended in the new directory") { h.lines("out.txt").count == 3 }
        try run.stopAndWait()
        #expect(h.lines("out.txt").sorted() == ["a", "b", "b2"])
    }

    @Test("the directories watched for a glob, and glob matching of reported paths")
    func directoriesOfPatterns() throws {
        let h = try RunnerHarness()
        try h.append("logs/a/x.log", "")
        try h.append("logs/b/x.log", "")
        let (directories, complete) = FileSource.directories(of: [h.path("logs/*/x.log"), h.path("top.log"), "rel.log"])
        #expect(complete)
        #expect(directories == [h.path("logs"), h.path("logs/a"), h.path("logs/b"), h.directory, "."])
        #expect(!FileSource.directories(of: [h.path("missing/*.log")]).complete)
        #expect(FileWatcher.prefix(of: ".") == "" && FileWatcher.prefix(of: "/") == "/" && FileWatcher.prefix(of: "/x") == "/x/")
        #expect(FileSource.matches("/v/a.log", ["/v/*.log"]))
        #expect(!FileSource.matches("/v/.a.log", ["/v/*.log"]))
        #expect(!FileSource.matches("/v/d/a.log", ["/v/*.log"]))
    }
}
