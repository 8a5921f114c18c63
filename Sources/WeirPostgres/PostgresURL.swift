import Foundation
import NIOSSL
import PostgresNIO

/// The `url` option: `postgres://user:password@host:port/database[?sslmode=disable|require]`
/// as a connection configuration. The password may come from the environment through
/// the pipeline file's `${VAR}`.
enum PostgresURL {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func configuration(_ text: String) throws -> PostgresConnection.Configuration {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
            let host = url.host, !host.isEmpty
        else { throw Invalid(description: "url must be postgres://user:password@host:port/database") }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty else { throw Invalid(description: "url names no database (postgres://…/database)") }
        let sslmode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresConnection.Configuration.TLS
        switch sslmode {
        case "disable": tls = .disable
        case "require": tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: throw Invalid(description: "url: sslmode must be disable or require, not \(sslmode)")
        }
        return PostgresConnection.Configuration(
            host: host, port: url.port ?? 5432, username: url.user ?? "postgres",
            password: url.password, database: database, tls: tls)
    }
}
