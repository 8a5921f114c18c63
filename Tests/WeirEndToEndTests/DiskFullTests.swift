import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// A small tmpfs for a data directory; nil where this machine cannot mount one (not root,
/// or no mount permission in the container).
final class SmallFilesystem {
    let path: String

    init?(megabytes: Int) {
        path = FileManager.default.temporaryDirectory.path + "/weir-small-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]))?.status == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
    }

    deinit {
        _ = try? run("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    static let available: Bool = SmallFilesystem(megabytes: 1) != nil
}

@Suite("full disk")
struct DiskFullTests {
    @Test(
        "a full disk pauses the pipeline with a clear line and it goes on when space returns: nothing lost, no corrupt batch",
        .enabled(if: SmallFilesystem.available, "needs to mount a tmpfs (root)"))
    func pauseAndResume() throws {
        let disk = try #require(SmallFilesystem(megabytes: 24))
        let directory = TemporaryDirectory()
        // 20 of the 24 MiB taken: about 4 MiB free for 6 MB of records.
        let ballast = disk.path + "/ballast"
        try Data(repeating: 0x2e, count: 20 << 20).write(to: URL(fileURLWithPath: ballast))
        let line = String(repeating: "x", count: 90)
        let pipeline = try directory.write(
            "p.yaml",
            """
            name: p
            topics: { raw: {} }
            sources:
              g: { type: generate, topic: raw, count: 60000, lines: ["\(line)"] }
            sinks:
              out: { type: file, inputs: [raw], path: "\(directory.path)/out.txt", encoding: text }
            """)
        let errors = directory.path + "/stderr.txt"
        let child = try ChildProcess(
            "/bin/sh", ["-c", "exec \(Paths.weir) run --once --quiet --data-dir \(disk.path)/data \(pipeline) 2> \(errors)"])
        func stderr() -> String { (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "" }
        for _ in 0..<600 where !stderr().contains("no space left on the device") { usleep(50_000) }
        #expect(
            stderr().contains(
                "warning weir.disk: path=\(disk.path)/data/topics/raw/0/00000000000000000000.log [WeirLog] no space left on the device: writing waits for space, then goes on"
            ), "\(stderr())")
        // Paused, not failed: it is still running a second later.
        usleep(1_000_000)
        var status: Int32 = 0
        #expect(waitpid(child.pid, &status, WNOHANG) == 0, "weir is waiting for space, not gone: \(stderr())")
        try FileManager.default.removeItem(atPath: ballast)
        #expect(child.wait() == 0, "\(stderr())")
        #expect(stderr().contains("space again: writing goes on"))
        #expect(stderr().contains("weir: p: appended 60000 records, wrote 60000, 0 failed"), "\(stderr())")
        let out = lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/out.txt")))
        #expect(out.count == 60000)
        #expect(Set(out) == Set((0..<60000).map { "\(line) \($0)" }))
        #expect(try weir(disk.path + "/data", ["log", "verify"]).status == 0)
    }

    @Test(
        "a read-only data directory is refused at start with one line, and nothing is touched",
        .enabled(if: SmallFilesystem.available, "needs to mount a tmpfs (root)"))
    func readOnly() throws {
        let disk = try #require(SmallFilesystem(megabytes: 8))
        let directory = TemporaryDirectory()
        let pipeline = try directory.write(
            "p.yaml",
            """
            name: p
            topics: { raw: {} }
            sources:
              g: { type: generate, topic: raw, count: 100 }
            sinks:
              out: { type: file, inputs: [raw], path: "\(directory.path)/out.txt", encoding: text }
            """)
        #expect(try runPipeline(at: pipeline, data: disk.path + "/data").status == 0)
        #expect(try run("/bin/mount", ["-o", "remount,ro", disk.path]).status == 0)
        let result = try runPipeline(at: pipeline, data: disk.path + "/data")
        #expect(result.status == 1)
        #expect(result.stderr == "Error: open lock file \(disk.path)/data/.lock: Read-only file system\n", "\(result.stderr)")
        #expect(lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/out.txt"))).count == 100)
        #expect(try run("/bin/mount", ["-o", "remount,rw", disk.path]).status == 0)
        #expect(try weir(disk.path + "/data", ["log", "verify"]).status == 0)
    }
}
