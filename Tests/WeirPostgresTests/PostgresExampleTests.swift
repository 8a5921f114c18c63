import Foundation
import Testing
import WeirTestSupport

/// `pipelines/nginx-to-postgres.yaml` run against a server of the test's own (its url and
/// log path overridden through the environment, as the file's comment says): every line
/// of the sample access log lands once, and a second run writes nothing again.
@Suite("postgres example pipeline")
struct PostgresExampleTests {
    @Test("nginx-to-postgres loads samples/nginx/access.log, each line once")
    func nginxToPostgres() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        // The table of the pipeline file's comment.
        try server.sql(
            """
            CREATE TABLE access_log (at timestamptz NOT NULL, client text NOT NULL, "user" text,
              method text, path text, protocol text, status integer, bytes bigint, referer text, agent text)
            """)
        let log = Paths.packageRoot + "/samples/nginx/access.log"
        let directory = TemporaryDirectory()
        let environment = ["PG_URL": server.url, "ACCESS_LOG": log]
        for _ in 0..<2 {
            let result = try runPipeline(
                at: Paths.packageRoot + "/pipelines/nginx-to-postgres.yaml", data: directory.path + "/data", environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let logLines = lines(of: try Data(contentsOf: URL(fileURLWithPath: log)))
        #expect(try server.sql("SELECT count(*) FROM access_log") == ["\(logLines.count)"])
        let notFound = logLines.filter { $0.contains("\" 404 ") }.count
        #expect(try server.sql("SELECT count(*) FROM access_log WHERE status = 404") == ["\(notFound)"])
        let first = try server.sql(
            """
            SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), client, method, status, bytes, coalesce(referer, '<null>')
            FROM access_log WHERE client = '37.101.1.223' AND path LIKE '/api/v2/products/429540%'
            """)
        #expect(first == ["2024-03-10 06:25:00|37.101.1.223|GET|200|156|<null>"])
    }
}
