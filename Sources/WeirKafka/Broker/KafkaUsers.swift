import Foundation
import WeirLog

/// The users the listener's SASL mechanisms accept, from a file of `user:password` lines
/// (`#` starts a comment line; blank lines are skipped). In place of the password a line
/// may hold a stored SCRAM-SHA-256 credential in PostgreSQL's form,
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, so that the file holds no
/// password. Only salted credentials are kept (a random salt per user, 4096 iterations):
/// SCRAM checks proofs against them, PLAIN salts the password it is given. The file
/// should be readable by its owner only.
public struct KafkaUsers: Sendable {
    private let credentials: [String: ScramSHA256.Credential]

    public var count: Int { credentials.count }

    public init(credentials: [String: ScramSHA256.Credential]) {
        self.credentials = credentials
    }

    /// Salts each password (a PBKDF2 of 4096 rounds each).
    public init(passwords: [String: String]) {
        self.init(credentials: passwords.mapValues { ScramSHA256.Credential(password: $0) })
    }

    /// Reads the file; an unreadable file or a line without `:` is an error naming the
    /// file and line.
    public init(file path: String) throws {
        let text: String
        do {
            text = String(decoding: try FileSystem.readWholeFile(path), as: UTF8.self)
        } catch {
            throw KafkaUsersError(description: "cannot read the Kafka users file \(path): \(error)")
        }
        var credentials: [String: ScramSHA256.Credential] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw KafkaUsersError(description: "\(path):\(index + 1): expected user:password")
            }
            let secret = line[line.index(after: colon)...]
            if secret.hasPrefix(ScramSHA256.mechanism + "$") {
                guard let stored = ScramSHA256.Credential(stored: secret) else {
                    throw KafkaUsersError(
                        description: "\(path):\(index + 1): expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (base64)")
                }
                credentials[String(line[..<colon])] = stored
            } else {
                credentials[String(line[..<colon])] = ScramSHA256.Credential(password: String(secret))
            }
        }
        guard !credentials.isEmpty else { throw KafkaUsersError(description: "\(path): no users in it") }
        self.init(credentials: credentials)
    }

    /// The user's SCRAM-SHA-256 credential, nil for a user not in the file.
    func credential(for user: String) -> ScramSHA256.Credential? {
        credentials[user]
    }

    /// Whether `password` is `user`'s (a key derivation, whether the user exists or not,
    /// so the time of the answer does not tell which users exist).
    public func authenticate(user: String, password: [UInt8]) -> Bool {
        let credential = credentials[user] ?? ScramSHA256.madeUpCredential(for: user)
        return credential.matches(password: password) && credentials[user] != nil
    }

    /// Whether the SASL/PLAIN message (`authzid NUL user NUL password`) names a known user
    /// with its password (and, if given, authorizes as that same user). Returns the user.
    func authenticatePlain(_ message: [UInt8]) -> String? {
        let parts = message.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let user = String(decoding: parts[1], as: UTF8.self)
        let authorizationID = String(decoding: parts[0], as: UTF8.self)
        guard authenticate(user: user, password: Array(parts[2])), authorizationID.isEmpty || authorizationID == user else { return nil }
        return user
    }
}

public struct KafkaUsersError: Error, CustomStringConvertible {
    public var description: String
}
