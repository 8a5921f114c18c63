import Foundation
import Glibc

/// Who may use the HTTP endpoint of `weir run --http`.
///
/// - A token, once given, is asked of every request as `Authorization: Bearer TOKEN`,
///   except `/metrics`, `/health` and `/ready` when `openProbes` (`--http-open-metrics`).
/// - Users, once given (`--http-users FILE`, the Kafka listener's users file format), are
///   asked as `Authorization: Basic` (a user and password: what a browser asks a person
///   for, so the web console opens off loopback), with the same exceptions; a token and
///   users together accept either.
/// - With neither, loopback (127.0.0.0/8, ::1, `localhost`) serves everyone on the
///   machine, as before; any other address is refused unless `--insecure-no-auth` says
///   to serve it without authentication, which logs `warning` at start.
public struct HTTPAccess: Sendable, Equatable {
    /// The bearer token requests must carry; nil when none is asked.
    public var token: String?
    /// `/metrics`, `/health` and `/ready` answer without the token.
    public var openProbes: Bool
    /// What to log at start (serving off loopback without authentication).
    public var warning: String?
    /// The users whose password opens it by `Authorization: Basic`; nil when none.
    public var users: HTTPUsers? = nil

    public init(token: String?, openProbes: Bool, warning: String?, users: HTTPUsers? = nil) {
        self.token = token
        self.openProbes = openProbes
        self.warning = warning
        self.users = users
    }

    /// Whether any authentication is asked.
    public var asks: Bool { token != nil || users != nil }

    /// The paths `openProbes` leaves open.
    static let probePaths: Set<String> = ["/metrics", "/health", "/ready"]

    /// Why `weir run` will not serve: one line.
    public struct Refused: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The access for serving on `host`: a token given is always enforced; off loopback
    /// one is required unless `insecureNoAuth`.
    public static func decide(host: String, token: String?, users: HTTPUsers? = nil, insecureNoAuth: Bool, openProbes: Bool)
        throws(Refused) -> HTTPAccess
    {
        if token != nil || users != nil { return HTTPAccess(token: token, openProbes: openProbes, warning: nil, users: users) }
        if isLoopback(host) { return HTTPAccess(token: nil, openProbes: true, warning: nil) }
        guard insecureNoAuth else {
            throw Refused(
                description: "--http on \(host) is beyond loopback and would serve the records to anyone who reaches it: "
                    + "give users (--http-users FILE) or a token (--http-token-file PATH or $WEIR_HTTP_TOKEN) or, to serve without either, --insecure-no-auth"
            )
        }
        return HTTPAccess(
            token: nil, openProbes: true,
            warning:
                "serving HTTP on \(host) without authentication (--insecure-no-auth): anyone who reaches it can read the records through /api/tap"
        )
    }

    /// True for 127.0.0.0/8, ::1 (also as ::ffff:127.x.x.x) and `localhost`. Any other
    /// name counts as off loopback: it may resolve anywhere. 0.0.0.0 and :: are every
    /// interface, so off loopback.
    public static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        return mapped && bytes[12] == 127
    }

    /// Whether a request for `path` with this `Authorization` header may be answered.
    func allows(path: String, authorization: String?) -> Bool {
        guard asks else { return true }
        if openProbes && Self.probePaths.contains(path) { return true }
        guard let authorization else { return false }
        let scheme = authorization.prefix { $0 != " " }.lowercased()
        let credentials = authorization.drop { $0 != " " }.drop { $0 == " " }
        if scheme == "bearer", let token {
            return Self.constantTimeEquals(Array(credentials.utf8), Array(token.utf8))
        }
        if scheme == "basic", let users, let decoded = Data(base64Encoded: String(credentials)) {
            // `user:password`, the user without a colon (RFC 7617).
            guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return false }
            return users.check(String(decoding: decoded[..<colon], as: UTF8.self), Array(decoded[(colon + 1)...]))
        }
        return false
    }

    /// Compares in time that depends only on `expected`'s length, not on where the two
    /// differ, so a client cannot find the token byte by byte.
    static func constantTimeEquals(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: given.count ^ expected.count) | (given.count == expected.count ? 0 : 1)
        for i in expected.indices {
            difference |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return difference == 0
    }
}
