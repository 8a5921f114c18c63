import Foundation
import Testing
import WeirTestSupport

/// `weir run` of a file → topic → parse_json → postgres pipeline killed with SIGKILL at
/// random moments, then run to its end: every input line is in the table exactly once,
/// because each batch's rows and its input offset commit in one transaction.
@Suite("postgres sink under SIGKILL")
struct PostgresCrashTests {
    /// 4 in CI; `WEIR_PG_KILLS=10` (Benchmarks/pg-torture) for a longer run.
    static let kills = ProcessInfo.processInfo.environment["WEIR_PG_KILLS"].flatMap(Int.init) ?? 4
    static let lines = ProcessInfo.processInfo.environment["WEIR_PG_LINES"].flatMap(Int.init) ?? 60_000

    @Test("every line is in the table exactly once across kill -9 and restarts")
    func killPipeline() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql("CREATE TABLE lines (n integer NOT NULL, line text NOT NULL)")
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        try Data((0..<Self.lines).map { #"{"n": \#($0), "line": "line \#($0)"}"# + "\n" }.joined().utf8).write(
            to: URL(fileURLWithPath: input))
        let pipeline = try directory.write(
            "pg.yaml",
            """
            name: pg
            topics: { raw: { partitions: 2 } }
            sources:
              f: { type: file, paths: ["\(input)"], topic: raw }
            transforms:
              parsed: { type: parse_json, inputs: [raw] }
            sinks:
              db: { type: postgres, inputs: [parsed], url: "\(server.url)", table: lines, parallelism: 2 }
            """)
        let data = directory.path + "/data"
        var random = SystemRandomNumberGenerator()
        var statuses: [Int32] = []
        var rowsSeen: [Int] = []
        for _ in 0..<Self.kills {
            let child = try ChildProcess(
                Paths.weir, ["run", "--quiet", "--data-dir", data, pipeline], environment: ["SWIFT_BACKTRACE": "enable=no"])
            let errors = DataReader(child.stderr)
            // From during start-up (connecting, before the first commit) to well into the run.
            usleep(UInt32.random(in: 50_000...900_000, using: &random))
            kill(child.pid, SIGKILL)
            statuses.append(child.wait())
            let text = String(decoding: errors.finish(), as: UTF8.self)
            #expect(!text.contains("error"), "\(text)")
            rowsSeen.append(Int(try server.sql("SELECT count(*) FROM lines").first ?? "") ?? -1)
        }
        let last = try runPipeline(at: pipeline, data: data)
        #expect(last.status == 0, "\(last.stderr)")
        // A run may finish its input before its kill comes (the machine was quick): it
        // then ended cleanly, and the check below still holds. Where each kill landed is
        // printed (rows in the table after it).
        #expect(statuses.allSatisfy { $0 == 128 + SIGKILL || $0 == 0 }, "every run was killed or ended cleanly: \(statuses)")
        let counts = try server.sql("SELECT count(*), count(DISTINCT line), count(DISTINCT n), min(n), max(n) FROM lines")
        #expect(counts == ["\(Self.lines)|\(Self.lines)|\(Self.lines)|0|\(Self.lines - 1)"], "rows after each kill: \(rowsSeen)")
        let offsets = try server.sql("SELECT sum(next_offset) FROM weir_offsets WHERE pipeline = 'pg' AND sink = 'db'")
        #expect(offsets == ["\(Self.lines)"])
        print("postgres kill -9: rows after each kill \(rowsSeen)")
    }
}

/// The server going away under a running pipeline: the sink reconnects (with backoff),
/// asks the database whether the batch it was writing committed, and goes on.
@Suite("postgres sink reconnects")
struct PostgresReconnectTests {
    @Test("a server shut down and started again under `weir run`: every line once")
    func serverRestart() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql("CREATE TABLE lines (n integer NOT NULL)")
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        let pipeline = try directory.write(
            "pg.yaml",
            """
            name: pg
            topics: { raw: {} }
            sources:
              f: { type: tail, paths: ["\(input)"], topic: raw, scan_interval_ms: 20 }
            transforms:
              parsed: { type: parse_json, inputs: [raw] }
            sinks:
              db: { type: postgres, inputs: [parsed], url: "\(server.url)", table: lines }
            """)
        let child = try ChildProcess(
            Paths.weir, ["run", "--data-dir", directory.path + "/data", pipeline], environment: ["SWIFT_BACKTRACE": "enable=no"])
        let errors = DataReader(child.stderr)
        let output = DataReader(child.stdout)
        var ended = false
        defer {
            if !ended {
                kill(child.pid, SIGKILL)
                _ = child.wait()
            }
        }
        // A first line in the table: the sink has started and written.
        try Data(#"{"n": -1}"#.utf8 + [0x0a]).write(to: URL(fileURLWithPath: input))
        #expect(waitFor { try server.sql("SELECT count(*) FROM lines") == ["1"] })
        try server.shutDown()
        let handle = try #require(FileHandle(forWritingAtPath: input))
        handle.seekToEndOfFile()
        handle.write(Data((0..<1000).map { #"{"n": \#($0)}"# + "\n" }.joined().utf8))
        try handle.close()
        usleep(300_000)
        try server.startAgain()
        let landed = waitFor { try server.sql("SELECT count(*) FROM lines") == ["1001"] }
        kill(child.pid, SIGTERM)
        #expect(child.wait() == 0)
        ended = true
        let text = String(decoding: errors.finish(), as: UTF8.self) + String(decoding: output.finish(), as: UTF8.self)
        #expect(landed, "\(text)")
        #expect(text.contains("postgres connection lost; reconnecting"), "\(text)")
        #expect(try server.sql("SELECT count(*), count(DISTINCT n) FROM lines") == ["1001|1001"])
    }

    /// Polls `condition` every 50 ms, for at most 30 s (a bound, not a timing assertion).
    func waitFor(_ condition: () throws -> Bool) -> Bool {
        for _ in 0..<600 {
            if (try? condition()) == true { return true }
            usleep(50_000)
        }
        return false
    }
}
