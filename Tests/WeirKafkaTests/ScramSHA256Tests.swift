import Foundation
import Testing
import WeirKafka
import WeirTestSupport

/// The server side of SCRAM-SHA-256 against RFC 7677's published exchange (user "user",
/// password "pencil"), and what it refuses.
@Suite struct ScramSHA256Tests {
    static let salt = Array(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==") ?? Data())
    static let clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    static let serverNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    static let nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    static let serverFirst = "r=\(nonce),s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let clientFinal = "c=biws,r=\(nonce),p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    static func credential(_ password: String = "pencil") -> ScramSHA256.Credential {
        ScramSHA256.Credential(password: password, salt: salt, iterations: 4096)
    }

    /// An exchange with RFC 7677's server nonce that has answered `first`.
    static func started(
        _ first: String = clientFirst, password: String = "pencil"
    ) throws -> (ScramSHA256.ServerExchange, ScramSHA256.ServerExchange.Reply) {
        var exchange = ScramSHA256.ServerExchange(serverNonce: serverNonce)
        let known = credential(password)
        let reply = try exchange.receive(Array(first.utf8)) { $0 == "user" ? known : nil }
        return (exchange, reply)
    }

    static func refusal(_ exchange: inout ScramSHA256.ServerExchange, _ message: String) -> String? {
        do throws(ScramError) {
            _ = try exchange.receive(Array(message.utf8)) { _ in credential() }
            return nil
        } catch {
            return error.description
        }
    }

    @Test func rfc7677ExchangeAuthenticatesAndSigns() throws {
        let (started, first) = try Self.started()
        var exchange = started
        #expect(first == .challenge(Array(Self.serverFirst.utf8)))
        let final = try exchange.receive(Array(Self.clientFinal.utf8)) { _ in nil }
        #expect(final == .authenticated(user: "user", serverFinal: Array(Self.serverFinal.utf8)))
        // Once done, the exchange answers nothing more.
        #expect(Self.refusal(&exchange, Self.clientFinal) == "SCRAM-SHA-256: the exchange is over")
    }

    @Test func aWrongPasswordIsRefusedAtTheProof() throws {
        let (started, first) = try Self.started(password: "pencil2")
        var exchange = started
        #expect(first == .challenge(Array(Self.serverFirst.utf8)))
        #expect(Self.refusal(&exchange, Self.clientFinal) == "Authentication failed: invalid username or password")
    }

    /// An unknown user gets a salt (the same each time) and fails where a wrong password does.
    @Test func anUnknownUserFailsAtTheProofToo() throws {
        let first = "n,,n=mallory,r=abc"
        var exchange = ScramSHA256.ServerExchange(serverNonce: "xyz")
        var again = ScramSHA256.ServerExchange(serverNonce: "xyz")
        let reply = try exchange.receive(Array(first.utf8)) { _ in nil }
        #expect(try again.receive(Array(first.utf8)) { _ in nil } == reply)
        guard case .challenge(let bytes) = reply else {
            Issue.record("expected server-first")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("r=abcxyz,s="))
        #expect(String(decoding: bytes, as: UTF8.self).hasSuffix(",i=4096"))
        let final = "c=biws,r=abcxyz,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        #expect(Self.refusal(&exchange, final) == "Authentication failed: invalid username or password")
    }

    @Test func aNonceOtherThanTheServersIsRefused() throws {
        var (exchange, _) = try Self.started()
        let tampered = Self.clientFinal.replacingOccurrences(of: "hNlF$k0", with: "hNlF$k1")
        #expect(
            Self.refusal(&exchange, tampered) == "SCRAM-SHA-256: the nonce of the client-final message is not the one the server sent")
        // The failure ended the exchange: the right message no longer helps.
        #expect(Self.refusal(&exchange, Self.clientFinal) == "SCRAM-SHA-256: the exchange is over")
    }

    /// librdkafka 2.0 repeats the client's nonce before the server's nonce (which begins
    /// with it); Kafka accepts a nonce that ends with the one it sent, and so does Weir:
    /// such a message gets as far as the proof.
    @Test func aNonceEndingWithTheServersGetsToTheProof() throws {
        var (exchange, _) = try Self.started()
        let repeated = Self.clientFinal.replacingOccurrences(of: "r=", with: "r=rOprNGfwEbeRWgbNEkqO")
        #expect(Self.refusal(&exchange, repeated) == "Authentication failed: invalid username or password")
    }

    @Test(
        "malformed client-first messages are refused with the reason",
        arguments: [
            ("", "SCRAM-SHA-256: malformed client-first message: expected n,,n=user,r=nonce"),
            ("x,,n=user,r=abc", "SCRAM-SHA-256: malformed client-first message: expected n, y or p= to begin it"),
            ("p=tls-unique,,n=user,r=abc", "SCRAM-SHA-256: channel binding is not supported"),
            ("n,,r=abc,n=user", "SCRAM-SHA-256: malformed client-first message: expected n=user after the GS2 header"),
            ("n,,n=us=er,r=abc", "SCRAM-SHA-256: malformed client-first message: expected n=user after the GS2 header"),
            ("n,,n=user,r=", "SCRAM-SHA-256: malformed client-first message: expected r=nonce (printable, no comma) after the user"),
            ("n,a=other,n=user,r=abc", "SCRAM-SHA-256: the authorization id must be the user's own name"),
            ("n,,n=user,r=abc,tokenauth=true", "SCRAM-SHA-256: delegation tokens are not supported"),
        ])
    func malformedClientFirst(message: String, reason: String) {
        var exchange = ScramSHA256.ServerExchange()
        #expect(Self.refusal(&exchange, message) == reason)
    }

    @Test func clientFirstThatIsNotUTF8IsRefused() {
        var exchange = ScramSHA256.ServerExchange()
        #expect(throws: ScramError(description: "SCRAM-SHA-256: malformed client-first message: not UTF-8")) {
            try exchange.receive([0x6e, 0x2c, 0x2c, 0xff, 0xfe]) { _ in nil }
        }
    }

    @Test(
        "malformed client-final messages are refused with the reason",
        arguments: [
            ("c=biws,r=\(nonce)", "SCRAM-SHA-256: malformed client-final message: expected the proof p= last"),
            ("c=biws,r=\(nonce),p=AAAA", "SCRAM-SHA-256: malformed client-final message: expected c=binding,r=nonce,p=proof"),
            (
                "r=\(nonce),p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                "SCRAM-SHA-256: malformed client-final message: expected c=binding,r=nonce,p=proof"
            ),
            (
                "c=eSws,r=\(nonce),p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                "SCRAM-SHA-256: the channel binding c= does not match the client-first message"
            ),
        ])
    func malformedClientFinal(message: String, reason: String) throws {
        var (exchange, _) = try Self.started()
        #expect(Self.refusal(&exchange, message) == reason)
    }

    /// Escaped names (`=2C` for a comma, `=3D` for `=`) are unescaped before the lookup.
    @Test func escapedNamesAreLookedUpUnescaped() throws {
        var exchange = ScramSHA256.ServerExchange(serverNonce: "s")
        var looked: String?
        _ = try exchange.receive(Array("n,,n=a=2Cb=3Dc,r=n".utf8)) { name in
            looked = name
            return nil
        }
        #expect(looked == "a,b=c")
    }

    @Test func storedCredentialsReadBackAndCheckPlainPasswords() {
        let credential = Self.credential()
        let stored = credential.stored
        // What docs/kafka.md's Python lines print for it.
        #expect(
            stored
                == "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
                + "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=")
        #expect(ScramSHA256.Credential(stored: stored) == credential)
        #expect(ScramSHA256.Credential(stored: "SCRAM-SHA-256$4096:W22Z$x:y") == nil)
        #expect(ScramSHA256.Credential(stored: stored.replacingOccurrences(of: "$4096:", with: "$100:")) == nil)
        #expect(credential.matches(password: Array("pencil".utf8)))
        #expect(!credential.matches(password: Array("pencil ".utf8)))
        // A fresh credential of the same password has its own salt.
        #expect(ScramSHA256.Credential(password: "pencil").salt != ScramSHA256.Credential(password: "pencil").salt)
    }

    /// The users file takes passwords and stored credentials; a bad stored one names its line.
    @Test func usersFileTakesStoredCredentials() throws {
        let directory = TemporaryDirectory()
        let good = try directory.write("users", "alice:s3cret\nuser:\(Self.credential().stored)\n")
        #expect(try KafkaUsers(file: good).count == 2)
        let bad = try directory.write("bad", "alice:s3cret\nuser:SCRAM-SHA-256$4096:nope\n")
        #expect(throws: KafkaUsersError.self) { try KafkaUsers(file: bad) }
        do {
            _ = try KafkaUsers(file: bad)
        } catch {
            #expect("\(error)".hasPrefix("\(bad):2: expected SCRAM-SHA-256$"))
        }
    }
}
