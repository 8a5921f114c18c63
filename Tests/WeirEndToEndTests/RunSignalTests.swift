import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// `weir run` as a user runs it: until SIGTERM or SIGINT, with a summary line on stderr
/// when stderr is not a terminal.
@Suite("weir run: signals and summary")
struct RunSignalTests {
    func pipeline(_ directory: TemporaryDirectory) throws -> String {
        try directory.write(
            "steady.yaml",
            """
            name: steady
            topics: { t: { partitions: 2 } }
            sources:
              g: { type: generate, rate: 5000, lines: ["tick"], topic: t }
            sinks:
              out: { type: file, inputs: [t], path: "\(directory.path)/out.txt", encoding: text }
            """)
    }

    @Test("SIGTERM and SIGINT stop the sources, drain, commit and exit 0 within seconds", arguments: [SIGTERM, SIGINT])
    func gracefulStop(signal: Int32) throws {
        let directory = TemporaryDirectory()
        let child = try ChildProcess(
            Paths.weir, ["run", "--summary-interval", "0.2", "--data-dir", directory.path + "/data", try pipeline(directory)])
        let errors = DataReader(child.stderr)
        usleep(1_500_000)
        let sent = Date()
        kill(child.pid, signal)
        let status = child.wait()
        let took = Date().timeIntervalSince(sent)
        let stderr = String(decoding: errors.finish(), as: UTF8.self)
        #expect(status == 0, "\(stderr)")
        #expect(took < 5, "took \(took) s")
        #expect(stderr.contains("weir: stopping: sources stop, sinks drain and commit"))
        // Periodic summaries (stderr is a pipe here, not a terminal).
        #expect(stderr.contains("weir: steady: g ") && stderr.contains("rec/s") && stderr.contains("| out ") && stderr.contains(" lag "))
        let written = lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/out.txt")))
        let summary = try #require(stderr.split(separator: "\n").last { $0.contains("appended") })
        #expect(summary.contains("appended \(written.count) records, wrote \(written.count)"), "\(summary)")
        // Every generated line once (partitions interleave, so compare as sets).
        #expect(written.count > 1000)
        #expect(Set(written) == Set((0..<written.count).map { "tick \($0)" }))
        // Everything appended was committed: the group has no lag.
        let described = try weir(directory.path + "/data", ["groups", "describe", "steady.out"])
        #expect(described.stdoutText.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix(" 0") }, "\(described.stdoutText)")
    }

    @Test("a last line appended unfinished at SIGTERM is not followed by an empty record when its newline comes")
    func partialLineAcrossStops() throws {
        let directory = TemporaryDirectory()
        let (input, out) = (directory.path + "/app.log", directory.path + "/out.txt")
        try Data("a\nb\nc-partial".utf8).write(to: URL(fileURLWithPath: input))
        let path = try directory.write(
            "tail.yaml",
            """
            name: tailing
            topics: { t: { partitions: 1 } }
            sources:
              logs: { type: tail, paths: ["\(input)"], topic: t, partial_line_timeout_ms: 600000 }
            sinks:
              out: { type: file, inputs: [t], path: "\(out)", encoding: text }
            """)
        /// Runs until `out.txt` holds `text`, then stops it with SIGTERM.
        func run(until text: String) throws {
            let child = try ChildProcess(Paths.weir, ["run", "--quiet", "--data-dir", directory.path + "/data", path])
            let errors = DataReader(child.stderr)
            let deadline = Date().addingTimeInterval(20)
            while (try? String(contentsOfFile: out, encoding: .utf8))?.contains(text) != true && Date() < deadline { usleep(20_000) }
            kill(child.pid, SIGTERM)
            let status = child.wait()
            #expect(status == 0, "\(String(decoding: errors.finish(), as: UTF8.self))")
        }
        try run(until: "b\n")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "a\nb\nc-partial\n")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\nd\n".utf8))
        try handle.close()
        try run(until: "d\n")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "a\nb\nc-partial\nd\n")
    }

    @Test("weir run on an invalid file writes nothing and exits 1")
    func invalid() throws {
        let directory = TemporaryDirectory()
        let path = try directory.write("bad.yaml", "sources:\n  g: { type: generat, topic: t }\n")
        let result = try weir(directory.path + "/data", ["run", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.yaml:2:"))
        #expect(result.stderr.contains("did you mean 'generate'"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"))
    }
}

/// Back-pressure: a sink that cannot keep up holds its sources back.
@Suite("weir run: back-pressure")
struct BackPressureTests {
    @Test("a stdout sink nobody reads holds the source to max_lag; then everything arrives once")
    func slowSinkSlowsSource() throws {
        let directory = TemporaryDirectory()
        let path = try directory.write(
            "slow.yaml",
            """
            name: slow
            topics: { t: {} }
            sources:
              g: { type: generate, count: 200000, lines: ["a line long enough to fill a pipe quickly, again and again"], topic: t }
            sinks:
              out: { type: stdout, inputs: [t], max_lag: 5000 }
            """)
        let child = try ChildProcess(
            Paths.weir, ["run", "--once", "--summary-interval", "0.1", "--data-dir", directory.path + "/data", path])
        let errors = DataReader(child.stderr)
        // Read nothing for a while: the pipe fills, the sink blocks, its lag grows.
        usleep(1_500_000)
        let output = child.stdout.readDataToEndOfFile()
        #expect(child.wait() == 0)
        let stderr = String(decoding: errors.finish(), as: UTF8.self)
        let lags = stderr.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: " lag ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(lags.count >= 5, "\(stderr)")
        // At most max_lag plus the chunk in flight (generate appends 10,000 lines a chunk).
        #expect((lags.max() ?? 0) <= 5000 + 10_000, "lags \(lags)")
        let printed = lines(of: output)
        #expect(printed.count == 200_000)
        #expect(Set(printed).count == 200_000)
    }
}

/// The live view when standard error is a terminal (a pty from util-linux `script`).
@Suite("weir run: live view")
struct LiveViewTests {
    @Test("on a terminal the view is redrawn in place every second")
    func redrawsInPlace() throws {
        let directory = TemporaryDirectory()
        let path = try directory.write(
            "live.yaml",
            """
            name: live
            topics: { t: {} }
            sources:
              g: { type: generate, rate: 2000, lines: ["tick"], topic: t }
            sinks:
              out: { type: blackhole, inputs: [t] }
            """)
        let typescript = directory.path + "/typescript"
        let child = try ChildProcess(
            "/usr/bin/script", ["-qfec", "\(Paths.weir) run --data-dir \(directory.path)/data \(path)", typescript])
        let output = DataReader(child.stdout)
        usleep(2_600_000)
        kill(child.pid, SIGINT)
        #expect(child.wait() == 0)
        _ = output.finish()
        let text = try String(contentsOfFile: typescript, encoding: .utf8)
        // The first drawing clears its line; the next ones move up over it first.
        #expect(text.contains("\u{1B}[2Kweir: live: g "), "\(text)")
        #expect(text.contains("\u{1B}[1A\u{1B}[2Kweir: live: g "), "\(text)")
        #expect(text.contains("| out ") && text.contains(" lag "))
    }
}
