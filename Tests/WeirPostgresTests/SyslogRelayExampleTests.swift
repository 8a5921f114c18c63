import Foundation
import Testing
import WeirTestSupport

/// `pipelines/syslog-relay.yaml` run as a user would: `logger` sends over TCP, warnings and
/// worse reach the day's JSON file and the PostgreSQL table, the rest is dropped.
@Suite("syslog-relay example")
struct SyslogRelayExampleTests {
    @Test("logger's messages over TCP: err, warning and crit reach the file and the table; info does not")
    func relay() throws {
        let example = Paths.packageRoot + "/pipelines/syslog-relay.yaml"
        let tests = try run(Paths.weir, ["test", example])
        #expect(tests.status == 0 && tests.stdoutText.hasSuffix("3 passed, 0 failed\n"), "\(tests.stdoutText)")

        let server = try PostgresServer()
        defer { server.stop() }
        try server.sql(
            """
            CREATE TABLE syslog_events (at timestamptz NOT NULL, host text, app text, procid text, facility_name text,
              severity smallint NOT NULL, severity_name text, message text, structured_data jsonb)
            """)
        let directory = TemporaryDirectory()
        let port = try PostgresServer.freePort()
        let weir = try ChildProcess(
            Paths.weir, ["run", "--quiet", "--data-dir", directory.path + "/data", example],
            environment: ["SYSLOG_ADDRESS": "127.0.0.1:\(port)", "PG_URL": server.url, "WEIR_OUT": directory.path])
        let errors = DataReader(weir.stderr)
        var stopped = false
        defer {
            if !stopped {
                kill(weir.pid, SIGKILL)
                _ = weir.wait()
            }
        }
        try poll("the syslog source listens") {
            guard let fd = connectLoopback(port: port) else { return false }
            close(fd)
            return true
        }

        let logger = ["--tcp", "--server", "127.0.0.1", "--port", "\(port)"]
        try send(logger + ["--rfc5424", "--octet-count", "-p", "daemon.err", "-t", "nginx", "upstream timed out"])
        try send(logger + ["--rfc3164", "-p", "authpriv.warning", "-t", "sshd", "Failed password for root"])
        try send(logger + ["--rfc5424", "-p", "user.info", "-t", "cron", "job done"])
        try send(logger + ["--rfc5424", "--octet-count", "-p", "local0.crit", "-t", "kernel", "disk on fire"])
        try poll("three rows in the table") { try server.sql("SELECT count(*) FROM syslog_events") == ["3"] }

        kill(weir.pid, SIGTERM)
        stopped = true
        #expect(weir.wait() == 0, "\(String(decoding: errors.finish(), as: UTF8.self))")
        let rows = try server.sql("SELECT app, facility_name, severity, severity_name, message FROM syslog_events ORDER BY severity")
        #expect(
            rows == [
                "kernel|local0|2|crit|disk on fire", "nginx|daemon|3|err|upstream timed out",
                "sshd|authpriv|4|warning|Failed password for root",
            ])
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("syslog-") }
        #expect(files.count == 1, "\(files)")
        let archived = try files.flatMap { lines(of: try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + $0))) }
        #expect(archived.count == 3)
        #expect(archived.allSatisfy { $0.contains(#""severity_name":"#) && !$0.contains("job done") }, "\(archived)")
    }

    /// Runs util-linux `logger` to its end.
    private func send(_ arguments: [String]) throws {
        let child = try ChildProcess("/usr/bin/logger", arguments)
        try child.stdin.close()
        let status = child.wait()
        #expect(status == 0, "logger \(arguments) exited with \(status)")
    }
}

/// Polls `condition` every 20 ms for up to 60 s.
private func poll(_ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        if try condition() { return }
        usleep(20_000)
    }
    throw PostgresServer.Failure("timed out waiting until \(what)")
}
