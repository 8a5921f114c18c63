import Foundation
import Testing
import WeirTestSupport

/// The `postgres` sink against a server of each test's own: `weir run --once` of a file →
/// topic → parse_json → postgres pipeline, then the table read back with psql.
@Suite("postgres sink", .serialized)
struct PostgresSinkTests {
    /// A file → raw → parse_json → postgres pipeline named `pg`, with `sink` options added.
    static func pipeline(_ input: String, url: String, sink: String) -> String {
        """
        name: pg
        topics: { raw: { partitions: 2 } }
        sources:
          f: { type: file, paths: ["\(input)"], topic: raw }
        transforms:
          parsed: { type: parse_json, inputs: [raw] }
        sinks:
          db:
            type: postgres
            inputs: [parsed]
            url: "\(url)"
        \(sink.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    static func write(_ lines: [String], to path: String, append: Bool = false) throws {
        let text = lines.map { $0 + "\n" }.joined()
        if append, let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try handle.close()
        } else {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test("rows land with the column types; missing fields take the column's default; offsets in weir_offsets")
    func rowsLandTyped() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql(
            """
            CREATE TABLE events (id bigint, msg text, level varchar(8), took double precision, ok boolean,
              at timestamptz, extra jsonb, source text DEFAULT 'none', ts timestamptz)
            """)
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        try Self.write(
            [
                #"{"id": 1, "msg": "hello", "level": "info", "took": 1.5, "ok": true, "at": "2024-05-01T10:00:00Z", "extra": {"a": [1, 2]}}"#,
                #"{"id": 2, "msg": "x\ty \"q\"", "level": "warn", "took": 2, "ok": false, "at": 1714557600123, "extra": "s", "source": "app"}"#,
                #"{"id": "3", "msg": null}"#,
            ], to: input)
        let result = try runPipeline(
            Self.pipeline(input, url: server.url, sink: "table: events\ntimestamp_column: ts"), in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try server.sql(
            """
            SELECT id, coalesce(msg, '<null>'), coalesce(level, '<null>'), coalesce(took::text, '<null>'), coalesce(ok::text, '<null>'),
              coalesce(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), '<null>'), coalesce(extra::text, '<null>'), source,
              ts IS NOT NULL
            FROM events ORDER BY id
            """)
        #expect(
            rows == [
                #"1|hello|info|1.5|true|2024-05-01 10:00:00.000|{"a": [1, 2]}|none|t"#,
                "2|x\ty \"q\"|warn|2|false|2024-05-01 10:00:00.123|\"s\"|app|t",
                "3|<null>|<null>|<null>|<null>|<null>|<null>|none|t",
            ])
        let offsets = try server.sql("SELECT pipeline, sink, sum(next_offset) FROM weir_offsets GROUP BY 1, 2")
        #expect(offsets == ["pg|db|3"])
    }

    @Test("upsert: the last record of a key wins, within a batch and over rows already there")
    func upsert() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql("CREATE TABLE users (name text PRIMARY KEY, visits integer NOT NULL, city text)")
        try server.sql("INSERT INTO users VALUES ('ann', 1, 'Oslo'), ('bob', 5, 'Rome')")
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        try Self.write(
            [
                #"{"user": "ann", "n": 2, "where": "Bergen"}"#, #"{"user": "cid", "n": 1, "where": "Nice"}"#,
                #"{"user": "ann", "n": 3, "where": "Oslo"}"#,
            ], to: input)
        let sink = """
            table: users
            mode: upsert
            key: [name]
            columns: { name: .user, visits: .n, city: .where }
            """
        let result = try runPipeline(
            Self.pipeline(input, url: server.url, sink: sink).replacingOccurrences(of: "partitions: 2", with: "partitions: 1"),
            in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try server.sql("SELECT name, visits, city FROM users ORDER BY name") == ["ann|3|Oslo", "bob|5|Rome", "cid|1|Nice"])
    }

    @Test("rows the database refuses go to the dead-letter topic with its message; the rest commit")
    func refusedRows() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql("CREATE TABLE items (id integer NOT NULL, qty integer CHECK (qty >= 0), tag varchar(4))")
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        try Self.write(
            [
                #"{"id": 1, "qty": 1}"#, #"{"qty": 2}"#, #"{"id": 3, "qty": -1}"#, #"{"id": 4, "qty": "many"}"#,
                #"{"id": 5, "qty": {"n": 1}}"#, #"{"id": 6, "tag": "toolong"}"#, #"{"id": 7, "qty": 7}"#,
            ], to: input)
        let result = try runPipeline(
            Self.pipeline(input, url: server.url, sink: "table: items").replacingOccurrences(of: "partitions: 2", with: "partitions: 1"),
            in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try server.sql("SELECT id FROM items ORDER BY id") == ["1", "7"])
        let letters = try weir(directory.path + "/data", ["consume", "pg.dlq", "--format", "json"])
        let dead = try lines(of: letters.stdout).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let reasons = dead.map { record in
            (record["headers"] as? [[String: Any]] ?? []).first { $0["key"] as? String == "weir.reason" }?["value"] as? String ?? ""
        }
        #expect(reasons.count == 5, "\(reasons)")
        #expect(reasons.contains { $0.hasPrefix("postgres refused the row: 23502") && $0.contains("\"id\"") })
        #expect(reasons.contains { $0.hasPrefix("postgres refused the row: 23514") && $0.contains("items_qty_check") })
        #expect(reasons.contains { $0.hasPrefix("postgres refused the row: 22P02") && $0.contains("many") })
        #expect(reasons.contains { $0 == "postgres: column qty (integer) cannot take a value of type object" })
        #expect(reasons.contains { $0.hasPrefix("postgres refused the row: 22001") })
    }

    @Test("a restart resumes from weir_offsets, even without the local checkpoint: no row twice")
    func restartResumes() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql("CREATE TABLE lines (n integer)")
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        try Self.write((0..<100).map { #"{"n": \#($0)}"# }, to: input)
        let yaml = Self.pipeline(input, url: server.url, sink: "table: lines")
        let first = try runPipeline(yaml, in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        // The database is the checkpoint: the sink's own on this host is not needed.
        try FileManager.default.removeItem(atPath: directory.path + "/data/pipelines/pg/sink-db.checkpoint")
        try Self.write((100..<150).map { #"{"n": \#($0)}"# }, to: input, append: true)
        let second = try runPipeline(yaml, in: directory)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try server.sql("SELECT count(*), count(DISTINCT n), min(n), max(n) FROM lines") == ["150|150|0|149"])
    }

    @Test(
        "COPY and INSERT write the same rows: backslashes, tabs, newlines, \\N as text, empty text, null, defaults, quoted names",
        arguments: ["copy", "insert"])
    func copyEscapes(method: String) throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql(#"CREATE SCHEMA "Web Logs"; CREATE TABLE "Web Logs"."Hits ""x""" (k integer, "the ""s""" text DEFAULT 'dflt')"#)
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        try Self.write(
            [
                #"{"k": 1, "the \"s\"": "back\\slash \\N tab\t nl\n cr\r end"}"#, #"{"k": 2, "the \"s\"": ""}"#,
                #"{"k": 3, "the \"s\"": null}"#, #"{"k": 4}"#, #"{"k": 5, "the \"s\"": "\\"}"#,
            ], to: input)
        let sink = #"""
            table: '"Web Logs"."Hits ""x"""'
            method: \#(method)
            """#
        let result = try runPipeline(
            Self.pipeline(input, url: server.url, sink: sink).replacingOccurrences(of: "partitions: 2", with: "partitions: 1"),
            in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try server.sql(
            #"""
            SELECT k, coalesce(replace(replace(replace("the ""s""", E'\n', '<nl>'), E'\r', '<cr>'), E'\t', '<tab>'), '<null>')
            FROM "Web Logs"."Hits ""x""" ORDER BY k
            """#)
        #expect(rows == [#"1|back\slash \N tab<tab> nl<nl> cr<cr> end"#, "2|", "3|<null>", "4|dflt", #"5|\"#])
    }

    @Test("a column the table lacks stops the start, naming it")
    func missingColumn() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql("CREATE TABLE t (a integer)")
        let directory = TemporaryDirectory()
        let input = directory.path + "/in.log"
        try Self.write([#"{"a": 1}"#], to: input)
        let result = try runPipeline(
            Self.pipeline(input, url: server.url, sink: "table: t\ncolumns: { a: .a, nope: .b }"), in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("columns names column 'nope', which the table does not have"), "\(result.stderr)")
        let missingTable = try runPipeline(Self.pipeline(input, url: server.url, sink: "table: absent"), in: directory)
        #expect(missingTable.status != 0)
        #expect(missingTable.stderr.contains("table absent does not exist"), "\(missingTable.stderr)")
    }
}
