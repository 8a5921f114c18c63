import Foundation
import Testing
import WeirServer
import WeirTestSupport

@testable import WeirServer

/// `--http-users FILE`: a user and password (HTTP Basic) open the HTTP endpoint and the
/// web console, as a browser asks a person for them; with a token too, either opens it.
@Suite("HTTP endpoint: users and passwords (Basic)")
struct HTTPUsersTests {
    static let users = HTTPUsers(source: "test") { user, password in user == "ana" && password == Array("pässword:1".utf8) }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test("Basic with a user's password passes; a wrong or unknown one, a bad encoding, a missing colon or another scheme does not")
    func basicCredentials() throws {
        let access = try HTTPAccess.decide(host: "0.0.0.0", token: nil, users: Self.users, insecureNoAuth: false, openProbes: false)
        #expect(access.asks && access.warning == nil)
        #expect(access.allows(path: "/", authorization: Self.basic("ana", "pässword:1")))
        #expect(access.allows(path: "/api/events", authorization: "basic  " + Data("ana:pässword:1".utf8).base64EncodedString()))
        #expect(!access.allows(path: "/", authorization: Self.basic("ana", "password")))
        #expect(!access.allows(path: "/", authorization: Self.basic("bob", "pässword:1")))
        #expect(!access.allows(path: "/", authorization: "Basic not-base64!"))
        #expect(!access.allows(path: "/", authorization: "Basic " + Data("anapässword".utf8).base64EncodedString()))
        #expect(!access.allows(path: "/", authorization: "Bearer pässword:1"))
        #expect(!access.allows(path: "/metrics", authorization: nil))

        // Users and a token: either opens it; the probes may stay open.
        let both = try HTTPAccess.decide(host: "0.0.0.0", token: "s3cret", users: Self.users, insecureNoAuth: false, openProbes: true)
        #expect(both.allows(path: "/api/tap", authorization: "Bearer s3cret"))
        #expect(both.allows(path: "/api/tap", authorization: Self.basic("ana", "pässword:1")))
        #expect(!both.allows(path: "/api/tap", authorization: Self.basic("ana", "s3cret")))
        #expect(both.allows(path: "/metrics", authorization: nil))

        // Off loopback with neither, the refusal names both ways.
        #expect {
            try HTTPAccess.decide(host: "0.0.0.0", token: nil, users: nil, insecureNoAuth: false, openProbes: false)
        } throws: { "\($0)".contains("--http-users FILE") && "\($0)".contains("--http-token-file") }
    }

    @Test("weir run --http-users: / and /api/events ask a browser for a user and password (401, Basic challenge) and open with them")
    func consoleWithUsers() throws {
        let bench = PluginBench()
        try OperationsTests.generating(bench)
        let file = bench.root + "/users"
        try "# who may open the console\nana:pässword:1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let weir = try RunningWeir(bench, extra: ["--http-users", file], authorization: Self.basic("ana", "pässword:1"))
        for path in ["/", "/console.js", "/api/pipelines", "/api/events"] {
            let missing = try StreamingGet(weir.address, path).read(until: "the 401") { $0.text.hasSuffix("\n") }
            #expect(missing.status == 401, "\(path)")
            #expect(missing.headers["www-authenticate"] == "Basic realm=\"weir\", charset=\"UTF-8\"", "\(path)")
            let wrong = try StreamingGet(weir.address, path, authorization: Self.basic("ana", "nope")).read(until: "the 401") {
                $0.text.hasSuffix("\n")
            }
            #expect(wrong.status == 401, "\(path)")
            let right = try StreamingGet(weir.address, path, authorization: Self.basic("ana", "pässword:1")).read(until: "the head") {
                $0.status != 0
            }
            #expect(right.status == 200, "\(path)")
        }
        #expect(weir.stderr.contains("asks for a user of --http-users"), "\(weir.stderr)")
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("an unreadable users file stops weir run with one line naming it")
    func unreadableFile() throws {
        let bench = PluginBench()
        try OperationsTests.generating(bench)
        let result = try run(
            Paths.weir, ["run", "--data-dir", bench.root + "/data", "--http", "0", "--http-users", bench.root + "/missing", bench.pipeline])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("weir: --http-users: cannot read the Kafka users file \(bench.root)/missing"), "\(result.stderr)")
    }
}
