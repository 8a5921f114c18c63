import Crypto
import CryptoExtras
import Foundation

/// SASL/SCRAM-SHA-256 (RFC 5802, RFC 7677) as Kafka's broker speaks it: the client proves
/// it knows the password without sending it, the server proves it holds the user's
/// credential, and the server keeps only salted keys, never the password.
public enum ScramSHA256 {
    public static let mechanism = "SCRAM-SHA-256"
    /// The iterations of PBKDF2 for credentials made here: RFC 7677's minimum and Kafka's default.
    public static let defaultIterations = 4096

    /// What the server keeps of a password (RFC 5802 §3): the salt and iteration count
    /// the client salts with, StoredKey to check its proof and ServerKey to sign the
    /// server's answer.
    public struct Credential: Sendable, Equatable {
        public var salt: [UInt8]
        public var iterations: Int
        public var storedKey: [UInt8]
        public var serverKey: [UInt8]

        public init(salt: [UInt8], iterations: Int, storedKey: [UInt8], serverKey: [UInt8]) {
            self.salt = salt
            self.iterations = iterations
            self.storedKey = storedKey
            self.serverKey = serverKey
        }

        /// Derives the credential of `password` with this salt and iteration count.
        public init(password: String, salt: [UInt8], iterations: Int = ScramSHA256.defaultIterations) {
            self.init(passwordBytes: Array(password.utf8), salt: salt, iterations: iterations)
        }

        private init(passwordBytes: [UInt8], salt: [UInt8], iterations: Int) {
            let salted = ScramSHA256.saltedPassword(passwordBytes, salt: salt, iterations: iterations)
            let clientKey = Array(HMAC<SHA256>.authenticationCode(for: Array("Client Key".utf8), using: salted))
            self.init(
                salt: salt, iterations: iterations, storedKey: Array(SHA256.hash(data: clientKey)),
                serverKey: Array(HMAC<SHA256>.authenticationCode(for: Array("Server Key".utf8), using: salted)))
        }

        /// Derives the credential of `password` with a new random 16-byte salt.
        public init(password: String) {
            self.init(password: password, salt: ScramSHA256.randomBytes(16))
        }

        /// Whether `password` is the one this credential was derived from (for SASL/PLAIN),
        /// compared in time independent of where the keys differ.
        public func matches(password: [UInt8]) -> Bool {
            ScramSHA256.constantTimeEqual(Credential(passwordBytes: password, salt: salt, iterations: iterations).storedKey, storedKey)
        }

        /// PostgreSQL's form of a stored SCRAM-SHA-256 credential (RFC 5803):
        /// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64 each.
        public var stored: String {
            "\(ScramSHA256.mechanism)$\(iterations):\(base64(salt))$\(base64(storedKey)):\(base64(serverKey))"
        }

        /// Reads `stored`'s form; nil when `text` is not in it.
        public init?(stored text: some StringProtocol) {
            let fields = text.split(separator: "$", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == ScramSHA256.mechanism else { return nil }
            let salting = fields[1].split(separator: ":", omittingEmptySubsequences: false)
            let keys = fields[2].split(separator: ":", omittingEmptySubsequences: false)
            guard salting.count == 2, keys.count == 2, let iterations = Int(salting[0]), iterations >= ScramSHA256.defaultIterations,
                let salt = decodeBase64(salting[1]), !salt.isEmpty, let storedKey = decodeBase64(keys[0]), storedKey.count == 32,
                let serverKey = decodeBase64(keys[1]), serverKey.count == 32
            else { return nil }
            self.init(salt: salt, iterations: iterations, storedKey: storedKey, serverKey: serverKey)
        }
    }

    /// PBKDF2-HMAC-SHA256 of the password, one 32-byte block: RFC 5802's SaltedPassword.
    static func saltedPassword(_ password: [UInt8], salt: [UInt8], iterations: Int) -> SymmetricKey {
        do {
            return try KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: iterations)
        } catch {
            // BoringSSL's PBKDF2 fails only on allocation failure or a zero-length output.
            preconditionFailure("PBKDF2-HMAC-SHA256 failed: \(error)")
        }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

/// Why a SCRAM exchange failed: what the client is told, in one line.
public struct ScramError: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

extension ScramSHA256 {
    /// The server's side of one exchange: client-first → server-first, then client-final
    /// → server-final. A failure ends the exchange.
    public struct ServerExchange: Sendable {
        /// What the client answers after this step.
        public enum Reply: Sendable, Equatable {
            /// server-first: the client must send client-final.
            case challenge([UInt8])
            /// server-final (`v=` signature): the client has authenticated as `user`.
            case authenticated(user: String, serverFinal: [UInt8])
        }

        private enum State: Sendable {
            case awaitingClientFirst
            case awaitingClientFinal(Pending)
            case finished
        }

        private struct Pending: Sendable {
            var user: String
            var credential: Credential
            var gs2Header: String
            var clientFirstBare: String
            var serverFirst: String
            var nonce: String
        }

        private var state = State.awaitingClientFirst
        private let serverNonce: String

        /// `serverNonce` is the server's part of the nonce (random when not given; tests give
        /// RFC 7677's).
        public init(serverNonce: String? = nil) {
            self.serverNonce = serverNonce ?? base64(ScramSHA256.randomBytes(24))
        }

        /// Answers the client's next message. `credential` looks a user up; an unknown user
        /// gets a made-up salt and fails at the proof, as a wrong password does.
        public mutating func receive(_ message: [UInt8], credential: (String) -> Credential?) throws(ScramError) -> Reply {
            let current = state
            state = .finished
            switch current {
            case .awaitingClientFirst:
                let pending = try clientFirst(try text(of: message, "client-first"), credential: credential)
                state = .awaitingClientFinal(pending)
                return .challenge(Array(pending.serverFirst.utf8))
            case .awaitingClientFinal(let pending):
                return try clientFinal(try text(of: message, "client-final"), pending)
            case .finished:
                throw ScramError(description: "SCRAM-SHA-256: the exchange is over")
            }
        }

        private func clientFirst(_ message: String, credential lookup: (String) -> Credential?) throws(ScramError) -> Pending {
            let fields = message.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 4 else { throw malformed("client-first", "expected n,,n=user,r=nonce") }
            switch fields[0] {
            case "n", "y": break
            case let flag where flag.hasPrefix("p="): throw ScramError(description: "SCRAM-SHA-256: channel binding is not supported")
            default: throw malformed("client-first", "expected n, y or p= to begin it")
            }
            guard fields[2].hasPrefix("n="), let user = unescapedName(fields[2].dropFirst(2)), !user.isEmpty else {
                throw malformed("client-first", "expected n=user after the GS2 header")
            }
            if !fields[1].isEmpty {
                guard fields[1].hasPrefix("a="), unescapedName(fields[1].dropFirst(2)) == user else {
                    throw ScramError(description: "SCRAM-SHA-256: the authorization id must be the user's own name")
                }
            }
            guard fields[3].hasPrefix("r="), isNonce(fields[3].dropFirst(2)) else {
                throw malformed("client-first", "expected r=nonce (printable, no comma) after the user")
            }
            for extensionField in fields[4...] where extensionField == "tokenauth=true" {
                throw ScramError(description: "SCRAM-SHA-256: delegation tokens are not supported")
            }
            let nonce = String(fields[3].dropFirst(2)) + serverNonce
            let credential = lookup(user) ?? ScramSHA256.madeUpCredential(for: user)
            return Pending(
                user: user, credential: credential, gs2Header: "\(fields[0]),\(fields[1]),",
                clientFirstBare: fields[2...].joined(separator: ","),
                serverFirst: "r=\(nonce),s=\(base64(credential.salt)),i=\(credential.iterations)", nonce: nonce)
        }

        private func clientFinal(_ message: String, _ pending: Pending) throws(ScramError) -> Reply {
            guard let proofStart = message.range(of: ",p=", options: .backwards) else {
                throw malformed("client-final", "expected the proof p= last")
            }
            let withoutProof = String(message[..<proofStart.lowerBound])
            let fields = withoutProof.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 2, fields[0].hasPrefix("c="), fields[1].hasPrefix("r="),
                let proof = decodeBase64(message[proofStart.upperBound...]), proof.count == 32
            else { throw malformed("client-final", "expected c=binding,r=nonce,p=proof") }
            guard decodeBase64(fields[0].dropFirst(2)) == Array(pending.gs2Header.utf8) else {
                throw ScramError(description: "SCRAM-SHA-256: the channel binding c= does not match the client-first message")
            }
            // As Kafka's broker checks it: the nonce must end with the one sent (librdkafka
            // before 2.2 sends the client's part twice).
            guard fields[1].dropFirst(2).hasSuffix(pending.nonce) else {
                throw ScramError(description: "SCRAM-SHA-256: the nonce of the client-final message is not the one the server sent")
            }
            let authMessage = Array("\(pending.clientFirstBare),\(pending.serverFirst),\(withoutProof)".utf8)
            let storedKey = SymmetricKey(data: pending.credential.storedKey)
            let clientSignature = Array(HMAC<SHA256>.authenticationCode(for: authMessage, using: storedKey))
            let clientKey = zip(proof, clientSignature).map { $0 ^ $1 }
            guard ScramSHA256.constantTimeEqual(Array(SHA256.hash(data: clientKey)), pending.credential.storedKey) else {
                throw ScramError(description: "Authentication failed: invalid username or password")
            }
            let serverKey = SymmetricKey(data: pending.credential.serverKey)
            let serverSignature = Array(HMAC<SHA256>.authenticationCode(for: authMessage, using: serverKey))
            return .authenticated(user: pending.user, serverFinal: Array("v=\(base64(serverSignature))".utf8))
        }
    }

    /// For a user not in the file: a salt the same on every attempt (so it does not tell
    /// the user is unknown) and keys no proof matches.
    static func madeUpCredential(for user: String) -> Credential {
        let salt = HMAC<SHA256>.authenticationCode(for: Array(user.utf8), using: unknownUserKey)
        return Credential(
            salt: Array(salt.prefix(16)), iterations: defaultIterations, storedKey: randomBytes(32), serverKey: randomBytes(32))
    }

    private static let unknownUserKey = SymmetricKey(size: .bits256)
}

private func text(of message: [UInt8], _ what: String) throws(ScramError) -> String {
    guard let text = String(validating: message, as: UTF8.self) else { throw malformed(what, "not UTF-8") }
    return text
}

private func malformed(_ what: String, _ detail: String) -> ScramError {
    ScramError(description: "SCRAM-SHA-256: malformed \(what) message: \(detail)")
}

/// A SCRAM name: `=2C` stands for `,` and `=3D` for `=`; any other `=` is malformed.
private func unescapedName(_ escaped: Substring) -> String? {
    var name = ""
    var rest = escaped[...]
    while let equals = rest.firstIndex(of: "=") {
        name += rest[..<equals]
        let code = rest[equals...].prefix(3)
        switch code {
        case "=2C": name += ","
        case "=3D": name += "="
        default: return nil
        }
        rest = rest[equals...].dropFirst(3)
    }
    return name + rest
}

/// RFC 5802's printable: ASCII 0x21–0x7E but the comma.
private func isNonce(_ nonce: Substring) -> Bool {
    !nonce.isEmpty && nonce.utf8.allSatisfy { (0x21...0x7e).contains($0) && $0 != UInt8(ascii: ",") }
}

private func base64(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString()
}

private func decodeBase64(_ text: some StringProtocol) -> [UInt8]? {
    Data(base64Encoded: String(text)).map { Array($0) }
}
