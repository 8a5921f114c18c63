import Foundation
import Synchronization
import Testing
import WeirTestSupport

@testable import WeirLog

/// `weir run` of a tail → topic → filter → file pipeline, killed with SIGKILL at random
/// moments while a writer appends to the tailed file and rotates it (by rename and by
/// copy-and-truncate), then restarted: the output must hold every kept line exactly once.
@Suite("Pipeline crash safety under SIGKILL")
struct PipelineCrashTests {
    /// 10 in CI; `WEIR_CRASH_KILLS=200 swift test --filter PipelineCrashTests` for a long run.
    static let kills = ProcessInfo.processInfo.environment["WEIR_CRASH_KILLS"].flatMap(Int.init) ?? 10

    @Test("every line reaches the output exactly once across kill -9, restarts and rotations")
    func killPipeline() throws {
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        let out = directory.path + "/out.txt"
        let pipeline = try directory.write(
            "crash.yaml",
            """
            name: crash
            topics:
              raw: { partitions: 2, compression: gzip }
            sources:
              app:
                type: tail
                paths: ["\(input)*"]
                topic: raw
                scan_interval_ms: 20
            transforms:
              kept:
                type: filter
                inputs: [raw]
                condition: '.message starts_with "line"'
            sinks:
              out: { type: file, inputs: [kept], path: "\(out)", encoding: text }
            """)
        let data = directory.path + "/data"
        let writer = RotatingWriter(path: input)
        writer.start()
        defer { writer.stop() }
        var random = SeededGenerator(seed: 7)
        var statuses: [Int32] = []
        for _ in 0..<Self.kills {
            let child = try ChildProcess(
                Paths.weir, ["run", "--quiet", "--data-dir", data, pipeline],
                environment: ["SWIFT_BACKTRACE": "enable=no"])
            let errors = DataReader(child.stderr)
            // From during start-up (before the first commit) to well into the run.
            usleep(UInt32.random(in: 20_000...900_000, using: &random))
            kill(child.pid, SIGKILL)
            statuses.append(child.wait())
            let text = String(decoding: errors.finish(), as: UTF8.self)
            #expect(!text.contains("error"), "\(text)")
        }
        writer.stop()
        // The last run reads every file to its end, drains and exits.
        let last = try runPipeline(at: pipeline, data: data)
        #expect(last.status == 0, "\(last.stderr)")
        #expect(statuses.allSatisfy { $0 == 128 + SIGKILL }, "every run was killed, not ended: \(statuses)")

        let expected = writer.written.filter { $0.hasPrefix("line") }
        let output = lines(of: try Data(contentsOf: URL(fileURLWithPath: out)))
        var counts: [String: Int] = [:]
        for line in output { counts[line, default: 0] += 1 }
        let missing = expected.filter { counts[$0] == nil }
        let repeated = counts.filter { $0.value > 1 }.keys.sorted()
        let foreign = Set(output).subtracting(expected)
        #expect(writer.rotations >= 4, "the writer should have rotated by rename and by copy-and-truncate")
        #expect(expected.count > 500 * Self.kills)
        #expect(missing.count == 0, "lines lost, first \(missing.prefix(5))")
        #expect(repeated.count == 0, "lines repeated, first \(repeated.prefix(5))")
        #expect(foreign.count == 0, "lines nobody wrote: \(foreign.prefix(5))")
        #expect(output.count == expected.count)
        let report = try LogVerifier(directory: data).verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
    }
}

/// Appends numbered lines (one in five is noise the filter drops) to a file and rotates it
/// every ~600 lines, alternately by rename (`in.log` → `in.log.N`) and by copy-and-truncate
/// (copied to `in.log.cN`, then cut to nothing), as logrotate does.
final class RotatingWriter: @unchecked Sendable {  // `lines` and counters are behind `lock`
    let path: String
    private let lock = NSLock()
    private var lines: [String] = []
    private var rotationCount = 0
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    init(path: String) { self.path = path }

    var written: [String] { lock.withLock { lines } }
    var rotations: Int { lock.withLock { rotationCount } }

    func start() {
        started = true
        Thread.detachNewThread { [self] in
            var n = 0
            var sinceRotation = 0
            var fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            while !stopped.load(ordering: .acquiring) {
                var chunk = ""
                var batch: [String] = []
                for _ in 0..<20 {
                    let line = n % 5 == 4 ? "noise \(n)" : "line \(n)"
                    batch.append(line)
                    chunk += line + "\n"
                    n += 1
                }
                lock.withLock {
                    _ = chunk.withCString { write(fd, $0, strlen($0)) }
                    lines += batch
                }
                sinceRotation += 20
                if sinceRotation >= 600 {
                    sinceRotation = 0
                    let r = lock.withLock {
                        rotationCount += 1
                        return rotationCount
                    }
                    if r % 2 == 1 {
                        close(fd)
                        rename(path, path + ".\(r)")
                        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                    } else {
                        _ = try? FileManager.default.copyItem(atPath: path, toPath: path + ".c\(r)")
                        ftruncate(fd, 0)
                    }
                }
                usleep(5_000)
            }
            close(fd)
            finished.signal()
        }
    }

    func stop() {
        guard started, !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}
