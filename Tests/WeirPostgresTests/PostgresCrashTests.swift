import Foundation
import Testing
import WeirTestSupport

/// `weir run` of an access log being written (`tail` → topic → parse_nginx_log →
/// postgres; and the same as JSON lines through `parse_json`, whose rows the sink reads
/// from the JSON in place) killed with SIGKILL at random moments, ten times, while a writer keeps
/// appending lines; then the rest is written and a last `weir run --once` reads to the
/// end. The table's primary key is the line's position in the file (its line number,
/// written into the line as the response size `bytes`, since records carry no file
/// offset): every line is in the table exactly once, and none was refused as a
/// duplicate (the dead-letter topic is empty), because each batch's rows and its input
/// offset commit in one transaction.
@Suite("postgres sink under SIGKILL")
struct PostgresCrashTests {
    /// 10 in CI, as issue 16 asks; `WEIR_PG_KILLS` and `WEIR_PG_LINES` (Benchmarks/pg-torture)
    /// for longer runs.
    static let kills = ProcessInfo.processInfo.environment["WEIR_PG_KILLS"].flatMap(Int.init) ?? 10
    static let lines = ProcessInfo.processInfo.environment["WEIR_PG_LINES"].flatMap(Int.init) ?? 40_000

    /// Line `n` of the access log (numbered from 0): its number is its `bytes`.
    static func accessLine(_ n: Int) -> String {
        let methods = ["GET", "POST", "GET", "HEAD"]
        return "10.\(n / 65_536 % 256).\(n / 256 % 256).\(n % 256) - - [04/Dec/2026:10:\(n / 50 % 50 + 10):\(n % 50 + 10) +0000] "
            + "\"\(methods[n % 4]) /item/\(n * 7919 % 100_000)?page=\(n % 13) HTTP/1.1\" \([200, 304, 404, 500][n % 4 == 3 ? n % 3 + 1 : 0]) \(n) "
            + "\"-\" \"Mozilla/5.0 (X11; Linux x86_64) weir-test/\(n % 7)\"\n"
    }

    /// Line `n` as a JSON object of the columns (its number as `line`), with escapes in
    /// its strings, for the `topic → parse_json → postgres` pipeline, whose sink reads the
    /// JSON in place.
    static func jsonLine(_ n: Int) -> String {
        let methods = ["GET", "POST", "GET", "HEAD"]
        return #"{"line": \#(n), "client": "10.\#(n / 65_536 % 256).\#(n / 256 % 256).\#(n % 256)", "method": "\#(methods[n % 4])", "#
            + #""path": "\/item\/\#(n * 7919 % 100_000)?page=\#(n % 13)", "status": \#([200, 304, 404, 500][n % 4 == 3 ? n % 3 + 1 : 0]), "#
            + #""agent": "Mozilla\/5.0 \"weir-test\"\t\#(n % 7)"}"# + "\n"
    }

    @Test(
        "every line of a tailed access log is in the table exactly once across kill -9 and restarts",
        arguments: ["parse_nginx_log", "parse_json"])
    func killPipeline(parser: String) throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql(
            "CREATE TABLE access (line integer PRIMARY KEY, client text NOT NULL, method text, path text, status integer, agent text)")
        let directory = TemporaryDirectory()
        let input = directory.path + "/access.log"
        _ = FileManager.default.createFile(atPath: input, contents: nil)
        let pipeline = try directory.write(
            "pg.yaml",
            """
            name: pg
            topics: { raw: { partitions: 2 } }
            sources:
              web: { type: tail, paths: ["\(input)"], topic: raw, scan_interval_ms: 20 }
            transforms:
              parsed: { type: \(parser), inputs: [raw] }
            sinks:
              db:
                type: postgres
                inputs: [parsed]
                url: "\(server.url)"
                table: access
                \(parser == "parse_json" ? "" : "columns: { line: .bytes, client: .client, method: .method, path: .path, status: .status, agent: .agent }")
                parallelism: 2
            """)
        // The writer appends the first lines in chunks while the runs are killed; the
        // last `weir run --once` comes after it has written them all.
        let writer = AccessLogWriter(path: input, lines: Self.lines, chunk: 250, json: parser == "parse_json")
        writer.start()
        let data = directory.path + "/data"
        var random = SystemRandomNumberGenerator()
        var statuses: [Int32] = []
        var rowsSeen: [Int] = []
        for _ in 0..<Self.kills {
            let child = try ChildProcess(
                Paths.weir, ["run", "--quiet", "--data-dir", data, pipeline], environment: ["SWIFT_BACKTRACE": "enable=no"])
            let errors = DataReader(child.stderr)
            // From during start-up (connecting, before the first commit) to well into the run.
            usleep(UInt32.random(in: 200_000...1_000_000, using: &random))
            kill(child.pid, SIGKILL)
            statuses.append(child.wait())
            let text = String(decoding: errors.finish(), as: UTF8.self)
            #expect(!text.contains("error"), "\(text)")
            rowsSeen.append(Int(try server.sql("SELECT count(*) FROM access").first ?? "") ?? -1)
        }
        let written = writer.finish()
        let last = try runPipeline(at: pipeline, data: data)
        #expect(last.status == 0, "\(last.stderr)")
        #expect(statuses.allSatisfy { $0 == 128 + SIGKILL }, "every run was killed: \(statuses)")
        let counts = try server.sql("SELECT count(*), count(DISTINCT line), min(line), max(line) FROM access")
        #expect(counts == ["\(Self.lines)|\(Self.lines)|0|\(Self.lines - 1)"], "rows after each kill: \(rowsSeen)")
        let sample = try server.sql("SELECT client, method, path, status FROM access WHERE line = 1003")
        #expect(sample == ["10.0.3.235|HEAD|/item/\(1003 * 7919 % 100_000)?page=\(1003 % 13)|404"])
        if parser == "parse_json" {
            #expect(try server.sql("SELECT agent FROM access WHERE line = 1003") == ["Mozilla/5.0 \"weir-test\"\t\(1003 % 7)"])
        }
        let offsets = try server.sql("SELECT sum(next_offset) FROM weir_offsets WHERE pipeline = 'pg' AND sink = 'db'")
        #expect(offsets == ["\(Self.lines)"])
        // A line written twice would have been refused by the primary key, to here.
        let dead = try run(Paths.weir, ["consume", "pg.dlq", "--data-dir", data, "--max", "1"])
        #expect(dead.stdoutText.isEmpty, "\(dead.stdoutText)")
        print("postgres kill -9: rows after each kill \(rowsSeen); lines written before the last run \(written)")
    }
}

/// Appends `lines` access-log lines to a file, `chunk` at a time with a pause between, on
/// a thread of its own, as a web server would while `weir run` tails the file.
final class AccessLogWriter: @unchecked Sendable {
    let path: String
    let lines: Int
    let chunk: Int
    /// Lines as JSON objects (`PostgresCrashTests.jsonLine`) instead of access-log lines.
    let json: Bool
    private let done = DispatchSemaphore(value: 0)

    init(path: String, lines: Int, chunk: Int, json: Bool = false) {
        (self.path, self.lines, self.chunk, self.json) = (path, lines, chunk, json)
    }

    func start() {
        Thread.detachNewThread { [self] in
            let fd = open(path, O_WRONLY | O_APPEND)
            defer {
                close(fd)
                done.signal()
            }
            for first in stride(from: 0, to: lines, by: chunk) {
                let text = (first..<min(lines, first + chunk)).map(json ? PostgresCrashTests.jsonLine : PostgresCrashTests.accessLine)
                    .joined()
                _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
                usleep(60_000)
            }
        }
    }

    /// Waits until every line is written; returns how many.
    @discardableResult
    func finish() -> Int {
        done.wait()
        return lines
    }
}

/// The server going away under a running pipeline: the sink reconnects (with backoff),
/// asks the database whether the batch it was writing committed, and goes on. Two
/// members, so two connections, both lost.
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
            topics: { raw: { partitions: 2 } }
            sources:
              f: { type: tail, paths: ["\(input)"], topic: raw, scan_interval_ms: 20 }
            transforms:
              parsed: { type: parse_json, inputs: [raw] }
            sinks:
              db: { type: postgres, inputs: [parsed], url: "\(server.url)", table: lines, parallelism: 2 }
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
