import Foundation
import WeirTestSupport

/// A PostgreSQL server of a test's own (Debian's postgresql-15): a cluster made by
/// `initdb` in a fresh directory, listening on 127.0.0.1 on a free port (its socket in that
/// directory), trust authentication for the `postgres` user. As root the server runs as
/// the `postgres` system user (it refuses root). `stop` ends it and removes the directory.
final class PostgresServer {
    static let bin = ProcessInfo.processInfo.environment["WEIR_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
    let directory: String
    let port: Int
    private var stopped = false

    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    init() throws {
        directory = "/tmp/weir-pg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            guard let user = getpwnam("postgres") else { throw Failure("as root, the tests need the postgres user") }
            chown(directory, user.pointee.pw_uid, user.pointee.pw_gid)
        }
        let made = try Self.asServerUser(
            "initdb", ["-D", directory + "/data", "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        guard made.status == 0 else { throw Failure("initdb failed: \(made.stderr)") }
        var started: (Int, CommandResult)?
        for _ in 0..<5 {
            let port = try Self.freePort()
            let result = try Self.start(directory, port: port)
            started = (port, result)
            if result.status == 0 { break }
        }
        guard let (port, result) = started, result.status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: directory)
            throw Failure("postgres did not start: \(started?.1.stderr ?? "")\(log)")
        }
        self.port = port
    }

    deinit { stop() }

    private static func start(_ directory: String, port: Int) throws -> CommandResult {
        try asServerUser(
            "pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-o",
                "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=off", "start",
            ])
    }

    /// Shuts the server down (`-m fast`: its clients are disconnected), keeping its data.
    func shutDown() throws {
        let result = try Self.asServerUser("pg_ctl", ["-D", directory + "/data", "-m", "fast", "-w", "stop"])
        guard result.status == 0 else { throw Failure("pg_ctl stop: \(result.stderr)") }
    }

    /// Starts it again after `shutDown`, on the same port.
    func startAgain() throws {
        let result = try Self.start(directory, port: port)
        guard result.status == 0 else { throw Failure("pg_ctl start: \(result.stderr)") }
    }

    /// Stops the server at once (no checkpoint: the data is thrown away) and removes it.
    func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? Self.asServerUser("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `sql` with psql; its rows, one a line, columns split by `|`.
    @discardableResult
    func sql(_ sql: String) throws -> [String] {
        let result = try run(
            Self.bin + "/psql",
            ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        guard result.status == 0 else { throw Failure("psql: \(result.stderr)") }
        return lines(of: result.stdout)
    }

    private static func asServerUser(_ program: String, _ arguments: [String]) throws -> CommandResult {
        if getuid() == 0 {
            return try run("/usr/sbin/runuser", ["-u", "postgres", "--", bin + "/" + program] + arguments)
        }
        return try run(bin + "/" + program, arguments)
    }

    /// A port nothing listens on now (the kernel's pick; `init` tries again if taken meanwhile).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
