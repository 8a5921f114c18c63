import Foundation
import Testing
import WeirTestSupport

/// The `postgres` source against a real server: rows as JSON in the order of their
/// tracking columns, each once across runs, kills and commits out of order.
@Suite("postgres source")
struct PostgresSourceTests {
    /// A pipeline of the source writing each row's JSON as a line of `out.txt`.
    private static func toFile(_ server: PostgresServer, _ directory: TemporaryDirectory, source: String) throws -> String {
        try directory.write(
            "p.yaml",
            """
            name: p
            topics: { raw: {} }
            sources:
              rows: { type: postgres, url: "\(server.url)", topic: raw, interval_ms: 50, \(source) }
            sinks:
              out: { type: file, inputs: [raw], path: "\(directory.path)/out.txt", encoding: text }
            """)
    }

    private static func output(_ directory: TemporaryDirectory) -> [String] {
        lines(of: FileManager.default.contents(atPath: directory.path + "/out.txt") ?? Data())
    }

    @Test("--once reads every row as JSON in id order; the next run only the rows added since")
    func onceAndAgain() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql(
            """
            CREATE TABLE events (id bigint PRIMARY KEY, name text, n integer, ok boolean, at timestamptz, doc jsonb);
            INSERT INTO events VALUES (3, 'c', 30, false, NULL, '[1, 2]'), (1, 'a', 10, true, '2026-12-04 10:00:00+00', '{"k": "v"}'),
              (2, 'quote " and \\ back', NULL, NULL, NULL, NULL);
            INSERT INTO events (id, name) SELECT g, 'row ' || g FROM generate_series(4, 12) g;
            """)
        let directory = TemporaryDirectory()
        let pipeline = try Self.toFile(server, directory, source: "table: events, tracking_column: id, batch_rows: 4")
        let first = try runPipeline(at: pipeline, data: directory.path + "/data")
        #expect(first.status == 0, "\(first.stderr)")
        let rows = Self.output(directory)
        #expect(rows.count == 12)
        #expect(rows.first == #"{"id":1,"name":"a","n":10,"ok":true,"at":"2026-12-04T10:00:00+00:00","doc":{"k": "v"}}"#)
        #expect(rows.dropFirst().first == #"{"id":2,"name":"quote \" and \\ back","n":null,"ok":null,"at":null,"doc":null}"#)
        #expect(rows.dropFirst(2).first == #"{"id":3,"name":"c","n":30,"ok":false,"at":null,"doc":[1, 2]}"#)
        let ids = try rows.map { try #require(Int(($0.split(separator: ",").first ?? "").dropFirst(6))) }
        #expect(ids == Array(1...12))

        try server.sql("INSERT INTO events (id, name) VALUES (13, 'new'), (14, 'newer')")
        let second = try runPipeline(at: pipeline, data: directory.path + "/data")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(Self.output(directory).count == 14)
        #expect(
            Self.output(directory).suffix(2)
                == [#"{"id":13,"name":"new"}"#, #"{"id":14,"name":"newer"}"#].map {
                    $0.replacingOccurrences(of: "}", with: #","n":null,"ok":null,"at":null,"doc":null}"#)
                })
    }

    @Test("a query tracked by (updated_at, id): ties across page ends are neither skipped nor repeated")
    func queryWithTwoTrackingColumns() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql(
            """
            CREATE TABLE items (id integer PRIMARY KEY, updated_at timestamptz NOT NULL, kind text);
            INSERT INTO items SELECT g, '2026-01-01'::timestamptz + (g / 5) * interval '1 hour', CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END
              FROM generate_series(1, 40) g;
            """)
        let directory = TemporaryDirectory()
        let pipeline = try Self.toFile(
            server, directory,
            source:
                #"query: "SELECT id, updated_at, kind FROM items WHERE kind = 'even'", tracking_column: [updated_at, id], batch_rows: 3"#)
        let run = try runPipeline(at: pipeline, data: directory.path + "/data")
        #expect(run.status == 0, "\(run.stderr)")
        // Five rows share each hour: pages of three end inside runs of equal updated_at.
        let ids = Self.output(directory).compactMap { Int(($0.split(separator: ",").first ?? "").dropFirst(6)) }
        #expect(ids == Array(stride(from: 2, through: 40, by: 2)))
    }

    @Test("a row committed after a higher id (taken before it) is read, not skipped")
    func aLateCommitBelowTheLastRowIsRead() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql("CREATE TABLE t (id bigserial PRIMARY KEY, v text)")
        // Session A takes id 1 and keeps its transaction open.
        let a = try ChildProcess(
            PostgresServer.bin + "/psql",
            ["-h", "127.0.0.1", "-p", "\(server.port)", "-U", "postgres", "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1"])
        defer {
            try? a.stdin.close()
            _ = a.wait()
        }
        a.stdin.write(Data("BEGIN; INSERT INTO t (v) VALUES ('late');\n".utf8))
        try waitUntil("A holds id 1 in an open transaction") {
            try server.sql("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'") == ["1"]
        }
        try server.sql("INSERT INTO t (v) VALUES ('early')")

        let directory = TemporaryDirectory()
        let pipeline = try Self.toFile(server, directory, source: "table: t, tracking_column: id")
        let weir = try ChildProcess(Paths.weir, ["run", "--once", "--quiet", "--data-dir", directory.path + "/data", pipeline])
        let errors = DataReader(weir.stderr)
        // The source has read id 2 and waits for A to end (its wait query shows), or it
        // wrongly appended id 2 already.
        try waitUntil("the source waits for A") {
            try server.sql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_snapshot_xmin%'") == ["1"]
                || !Self.output(directory).isEmpty
        }
        #expect(Self.output(directory).isEmpty, "nothing is appended while A may still commit below it")
        a.stdin.write(Data("COMMIT;\n".utf8))
        #expect(weir.wait() == 0, "\(String(decoding: errors.finish(), as: UTF8.self))")
        #expect(Self.output(directory) == [#"{"id":1,"v":"late"}"#, #"{"id":2,"v":"early"}"#])
    }

    @Test("rows inserted while `weir run` runs and while it is killed -9 reach a table once each")
    func insertsAcrossKills() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql(
            """
            CREATE TABLE events (id bigserial PRIMARY KEY, payload text NOT NULL);
            CREATE TABLE copied (id bigint NOT NULL, payload text NOT NULL);
            """)
        let directory = TemporaryDirectory()
        let pipeline = try directory.write(
            "etl.yaml",
            """
            name: etl
            topics: { raw: { partitions: 2 } }
            sources:
              rows: { type: postgres, url: "\(server.url)", table: events, tracking_column: id, topic: raw, batch_rows: 250, interval_ms: 20 }
            transforms:
              parsed: { type: parse_json, inputs: [raw] }
            sinks:
              db: { type: postgres, inputs: [parsed], url: "\(server.url)", table: copied }
            """)
        let data = directory.path + "/data"
        var random = SystemRandomNumberGenerator()
        var inserted = 0
        func insert(_ count: Int) throws {
            try server.sql("INSERT INTO events (payload) SELECT 'p' || g FROM generate_series(1, \(count)) g")
            inserted += count
        }
        try insert(1000)
        for _ in 0..<5 {
            let weir = try ChildProcess(
                Paths.weir, ["run", "--quiet", "--data-dir", data, pipeline], environment: ["SWIFT_BACKTRACE": "enable=no"])
            let errors = DataReader(weir.stderr)
            for _ in 0..<3 {
                try insert(Int.random(in: 100...600, using: &random))
                usleep(UInt32.random(in: 20_000...200_000, using: &random))
            }
            kill(weir.pid, SIGKILL)
            #expect(weir.wait() == 128 + SIGKILL)
            let text = String(decoding: errors.finish(), as: UTF8.self)
            #expect(!text.contains("error"), "\(text)")
            // While it is down.
            try insert(Int.random(in: 100...600, using: &random))
        }
        let last = try runPipeline(at: pipeline, data: data)
        #expect(last.status == 0, "\(last.stderr)")
        let counts = try server.sql("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM copied")
        #expect(counts == ["\(inserted)|\(inserted)|1|\(inserted)"])
        #expect(try server.sql("SELECT count(*) FROM copied c JOIN events e USING (id) WHERE c.payload = e.payload") == ["\(inserted)"])
    }

    @Test("pipelines/postgres-to-file.yaml: its tests: pass, and it copies a table, then only the rows changed since")
    func theExample() throws {
        let example = Paths.packageRoot + "/pipelines/postgres-to-file.yaml"
        let tests = try run(Paths.weir, ["test", example])
        #expect(tests.status == 0 && tests.stdoutText.hasSuffix("2 passed, 0 failed\n"), "\(tests.stdoutText)")

        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql(
            """
            CREATE TABLE orders (id bigserial PRIMARY KEY, customer text NOT NULL, total numeric(12,2) NOT NULL,
              status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO orders (customer, total, status, updated_at) VALUES ('ada', 12.50, 'paid', '2026-12-04 10:00:00+00'),
              ('bob', 3.00, 'cancelled', '2026-12-04 10:01:00+00'), ('cy', 7.25, 'open', '2026-12-04 10:02:00+00');
            """)
        let directory = TemporaryDirectory()
        let environment = ["PG_URL": server.url, "WEIR_OUT": directory.path]
        let first = try runPipeline(at: example, data: directory.path + "/data", environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        try server.sql("UPDATE orders SET status = 'paid', updated_at = '2026-12-04 11:00:00+00' WHERE customer = 'cy'")
        let second = try runPipeline(at: example, data: directory.path + "/data", environment: environment)
        #expect(second.status == 0, "\(second.stderr)")
        let written = lines(of: FileManager.default.contents(atPath: directory.path + "/orders.jsonl") ?? Data())
        #expect(
            written == [
                // `_timestamp` is the record's timestamp: `timestamp_column: updated_at`.
                #"{"_timestamp":1796378400000,"id":1,"customer":"ada","total":12.5,"status":"paid","updated_at":"2026-12-04T10:00:00+00:00"}"#,
                #"{"_timestamp":1796378520000,"id":3,"customer":"cy","total":7.25,"status":"open","updated_at":"2026-12-04T10:02:00+00:00"}"#,
                #"{"_timestamp":1796382000000,"id":3,"customer":"cy","total":7.25,"status":"paid","updated_at":"2026-12-04T11:00:00+00:00"}"#,
            ])
    }

    @Test("a table or column that is not there stops the start, naming it")
    func startErrors() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql("CREATE TABLE t (id integer)")
        let directory = TemporaryDirectory()
        let noTable = try runPipeline(
            at: try Self.toFile(server, directory, source: "table: nope, tracking_column: id"), data: directory.path + "/d1")
        #expect(noTable.status != 0)
        #expect(noTable.stderr.contains("source 'rows'") && noTable.stderr.contains("\"nope\""), "\(noTable.stderr)")
        let noColumn = try runPipeline(
            at: try Self.toFile(server, directory, source: "table: t, tracking_column: seq"), data: directory.path + "/d2")
        #expect(noColumn.status != 0)
        #expect(noColumn.stderr.contains("column q.seq does not exist"), "\(noColumn.stderr)")
        let both = try runPipeline(
            at: try Self.toFile(server, directory, source: "table: t, query: 'SELECT 1', tracking_column: id"), data: directory.path + "/d3"
        )
        #expect(both.status != 0)
        #expect(both.stderr.contains("query"), "\(both.stderr)")
    }
}

/// Polls `condition` every 20 ms for up to 60 s.
private func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        if try condition() { return }
        usleep(20_000)
    }
    throw PostgresServer.Failure("timed out waiting until \(what)")
}
