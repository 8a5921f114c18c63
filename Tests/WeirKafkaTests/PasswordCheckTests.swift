import Testing

@testable import WeirKafka

/// `PasswordCheck`: users' passwords for HTTP Basic, checked against the users file, a
/// pair that passed remembered so a browser's requests do not each cost a derivation.
@Suite("password check for HTTP Basic")
struct PasswordCheckTests {
    @Test("a user's password passes, stored as a password or as a SCRAM credential; a wrong one or an unknown user never does")
    func check() throws {
        let stored = ScramSHA256.Credential(password: "b-secret")
        let check = PasswordCheck(KafkaUsers(credentials: ["ana": ScramSHA256.Credential(password: "a-secret"), "bob": stored]))
        #expect(check.check(user: "ana", password: Array("a-secret".utf8)))
        // Remembered: the same pair again, and still right.
        #expect(check.check(user: "ana", password: Array("a-secret".utf8)))
        #expect(check.check(user: "bob", password: Array("b-secret".utf8)))
        #expect(!check.check(user: "ana", password: Array("b-secret".utf8)))
        #expect(!check.check(user: "bob", password: Array("a-secret".utf8)))
        #expect(!check.check(user: "eve", password: Array("a-secret".utf8)))
        #expect(!check.check(user: "ana", password: []))
        // A user and password that join to the same bytes another way are another pair.
        #expect(!check.check(user: "ana\u{0}a", password: Array("-secret".utf8)))
    }
}
