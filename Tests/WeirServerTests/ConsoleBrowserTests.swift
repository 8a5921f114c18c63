import Foundation
import Testing
import WeirPipeline
import WeirTestSupport

/// The web console in a real browser: `Tests/Browser/console_test.py` drives headless
/// Chromium (Selenium and chromedriver) over the console of `weir run --http` running
/// pipelines/ssh-audit.yaml on a tailed file, and this side appends loghub lines to that
/// file when the script asks. The script does the checking (graph against /api/graph,
/// rates, lag, tap, layout at two sizes, accessibility, console errors) and prints a
/// `PASS` or `FAIL` line per check, each of which becomes this test's verdict. Without
/// Chromium, chromedriver or Selenium it fails and says what to install: it never skips.
@Suite("web console in a real browser")
struct ConsoleBrowserTests {
    static let script = Paths.packageRoot + "/Tests/Browser/console_test.py"
    /// Lines of the tailed file when weir starts; the rest come when the script asks.
    static let startLines = 100

    @Test(
        "in Chromium: the graph is /api/graph's, rates rise and lag returns to 0, the tap shows what the sink writes, no cut or overlapping text at 1280×800 and 390×844, names and contrast, no console errors"
    )
    func consoleInChromium() throws {
        let bench = PluginBench()
        let log = try Data(contentsOf: URL(fileURLWithPath: Paths.loghub + "/OpenSSH_2k.log"))
        // Lines with their CR (the tail source drops it); the last one gets its newline.
        // Three lines at the end that are not sshd's: the parser refuses them (dead letters),
        // and its node must say so.
        let lines =
            log.split(separator: 0x0a, omittingEmptySubsequences: false).filter { !$0.isEmpty }.map { Data($0) + Data([0x0a]) }
            + (1...3).map { Data("not a line of sshd's \($0)\n".utf8) }
        let tailed = bench.root + "/auth.log"
        try Data(lines.prefix(Self.startLines).joined()).write(to: URL(fileURLWithPath: tailed))
        try bench.write(try String(contentsOfFile: Paths.packageRoot + "/pipelines/ssh-audit.yaml", encoding: .utf8))
        let environment = ["SSH_LOGS": tailed, "WEIR_OUT": bench.root]
        let output = bench.root + "/ssh-audit-failures.jsonl"
        // What the filter keeps: the lines whose sshd message starts with "Failed password".
        let expected = lines.filter { String(decoding: $0, as: UTF8.self).contains("]: Failed password") }.count

        // The pipeline file's components, as /api/graph names them.
        let loaded = PipelineLoader(environment: environment).load(path: bench.pipeline)
        let definition = try #require(loaded.definition, "\(loaded.diagnostics)")
        let nodes = definition.components.map { "\($0.kind.rawValue):\(definition.name)/\($0.id)" }
        let source = try #require(definition.components.first { $0.kind == .source && $0.type == "tail" })
        let sink = try #require(definition.components.first { $0.kind == .sink && $0.type == "file" })
        let parser = try #require(definition.components.first { $0.kind == .transform && $0.type == "parse_regex" })

        signal(SIGPIPE, SIG_IGN)  // a script that died makes writing to it an error, not the end of the tests
        var weir = try RunningWeir(bench, environment: environment)
        let screenshots = ProcessInfo.processInfo.environment["WEIR_CONSOLE_SCREENSHOTS"] ?? bench.root + "/screenshots"
        let browser = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", "-u", Self.script, "--url", weir.url, "--components", nodes.joined(separator: ","),
                "--source", "source:\(definition.name)/\(source.id)", "--sink", "sink:\(definition.name)/\(sink.id)",
                "--output", output, "--expected-lines", "\(expected)", "--tailed-lines", "\(lines.count)",
                "--dead-lettering", "transform:\(definition.name)/\(parser.id)", "--tailed", tailed,
            ],
            environment: ["WEIR_CONSOLE_SCREENSHOTS": screenshots])
        let errors = DataReader(browser.stderr)
        var said: [String] = []
        do {
            try ScriptLines(browser.stdout, seconds: 300).forEach { line in
                said.append(line)
                if line == "RESTART" {
                    // weir stopped and started again, on the same port, with a sink more: the
                    // page must draw the new graph once it has reconnected.
                    let port = try #require(weir.address.split(separator: ":").last.flatMap { Int($0) })
                    #expect(weir.stop() == 0, "\(weir.stderr)")
                    let pipeline = try String(contentsOfFile: bench.pipeline, encoding: .utf8)
                    let added = "  all_parsed:\n    type: blackhole\n    inputs: [parsed]\n"
                    let marker = "    encoding: json\ntests:"
                    try bench.write(pipeline.replacingOccurrences(of: marker, with: "    encoding: json\n" + added + "tests:"))
                    weir = try RunningWeir(bench, environment: environment, port: port)
                    try browser.stdin.write(contentsOf: Data("RESTARTED sink:\(definition.name)/all_parsed\n".utf8))
                    return
                }
                guard line == "APPEND" else { return }
                // Appended in pieces, so the rate is up for a few samples (the pace is no assertion).
                let handle = try #require(FileHandle(forWritingAtPath: tailed))
                for piece in stride(from: Self.startLines, to: lines.count, by: 100) {
                    try handle.seekToEnd()
                    try handle.write(contentsOf: Data(lines[piece..<min(piece + 100, lines.count)].joined()))
                    usleep(200_000)
                }
                try handle.close()
                try browser.stdin.write(contentsOf: Data("APPENDED \(lines.count - Self.startLines)\n".utf8))
            }
        } catch {
            // Stopped on a timeout: SIGTERM lets the script quit Chromium first.
            kill(browser.pid, SIGTERM)
            Issue.record("the browser script: \(error); it said:\n\(said.joined(separator: "\n"))")
        }
        try? browser.stdin.close()
        let status = browser.wait()
        let stderr = String(decoding: errors.finish(), as: UTF8.self)
        // One issue per failed check; a script that ended otherwise says how.
        let failed = said.filter { $0.hasPrefix("FAIL ") }
        for line in failed {
            Issue.record("console: \(line.dropFirst(5))")
        }
        if failed.isEmpty {
            #expect(
                status == 0 && said.last == "DONE" && said.contains { $0.hasPrefix("PASS ") },
                "console_test.py exited \(status):\n\(said.joined(separator: "\n"))\n\(stderr)")
        }
        if said.contains("APPEND") {
            // The script appends one more failed login while the tap is paused.
            let more = said.contains("INFO appended while paused: 1") ? 1 : 0
            #expect(try bench.output("ssh-audit-failures.jsonl").count == expected + more)
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }
}

/// The lines a child writes on a pipe, each handed to `body` as it comes, until the pipe
/// closes; throws if none comes for `seconds`.
struct ScriptLines {
    let handle: FileHandle
    let seconds: Double

    init(_ handle: FileHandle, seconds: Double) {
        self.handle = handle
        self.seconds = seconds
    }

    func forEach(_ body: (String) throws -> Void) throws {
        var pending = Data()
        while true {
            var poller = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else {
                throw Failure(description: "nothing from the script for \(Int(seconds)) s")
            }
            let data = handle.availableData
            if data.isEmpty { break }
            pending += data
            while let newline = pending.firstIndex(of: 0x0a) {
                try body(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending = Data(pending[(newline + 1)...])
            }
        }
        if !pending.isEmpty { try body(String(decoding: pending, as: UTF8.self)) }
    }
}
