import Foundation
import Testing
import WeirLog

@testable import WeirPipeline

/// Debian's rsyslog forwarding to the `syslog` source as a relay does: `logger --tcp`
/// into rsyslog's imtcp, rsyslog's omfwd on to Weir, octet-counted, in RFC 5424
/// (`RSYSLOG_SyslogProtocol23Format`). rsyslogd runs in the foreground with a config of
/// the test's own in its temporary directory (no imuxsock, no imklog: nothing of the
/// machine's logging), and is stopped on every path.
@Suite("syslog source: rsyslog forwards to it")
struct SyslogRsyslogTests {
    static let rsyslogd = "/usr/sbin/rsyslogd"

    /// rsyslogd started on `config`; `stop()` ends it (SIGTERM, then waits for it).
    final class Rsyslog {
        let pid: Int32
        private var stopped = false

        init(config: String, folder: String) throws {
            let output = open(folder + "/rsyslogd.out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            let null = open("/dev/null", O_RDONLY)
            defer {
                close(output)
                close(null)
            }
            pid = try ChildSpawn.spawn(
                SyslogRsyslogTests.rsyslogd, ["-n", "-f", config, "-i", folder + "/rsyslogd.pid"],
                descriptors: [0: null, 1: output, 2: output])
        }

        func stop() {
            guard !stopped else { return }
            stopped = true
            kill(pid, SIGTERM)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }

        deinit { stop() }
    }

    @Test("logger --tcp → rsyslog imtcp → omfwd (octet-counted RFC 5424) → syslog source: all 2,000 arrive parsed, in order")
    func rsyslogForwards() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.rsyslogd),
            "\(Self.rsyslogd) is missing: run scripts/bootstrap --test (it installs Debian's rsyslog)")
        let run = try SyslogSourceTests().start(mode: "tcp")
        let folder = run.h.path("rsyslog")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let portFile = folder + "/port"
        let config = folder + "/rsyslog.conf"
        try """
        global(workDirectory="\(folder)" maxMessageSize="64k")
        module(load="imtcp")
        input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="\(portFile)" ruleset="forward")
        ruleset(name="forward") {
          action(type="omfwd" target="127.0.0.1" port="\(run.port)" protocol="tcp"
                 TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let rsyslog = try Rsyslog(config: config, folder: folder)
        defer { rsyslog.stop() }
        var inputPort = 0
        run.h.waitUntil("rsyslogd listens (\(folder)/rsyslogd.out)") {
            inputPort =
                (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                ?? 0
            return inputPort > 0
        }
        try #require(inputPort > 0)

        let lines = (1...2000).map { "relayed line \($0) of 2000" }
        try run.h.append("input.txt", lines.joined(separator: "\n") + "\n")
        try SyslogSourceTests().logger([
            "--tcp", "--server", "127.0.0.1", "--port", "\(inputPort)", "-t", "relay", "-p", "local4.notice", "-f", run.h.path("input.txt"),
        ])
        run.h.waitUntil("2,000 messages are written") { run.parsed.count == lines.count }
        rsyslog.stop()
        try run.h.stopAndWait()
        let parsed = run.parsed
        #expect(parsed.map { $0["message"] as? String } == lines)
        #expect(parsed.allSatisfy { $0["app"] as? String == "relay" && $0["facility_name"] as? String == "local4" })
        #expect(parsed.allSatisfy { $0["severity_name"] as? String == "notice" })
        // RFC 5424 as rsyslog writes it: version 1 after the priority.
        #expect(run.h.lines("raw.txt").allSatisfy { $0.hasPrefix("<165>1 ") })
    }
}
