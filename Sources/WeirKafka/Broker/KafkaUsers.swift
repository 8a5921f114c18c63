import Foundation
import WeirLog

/// The users SASL/PLAIN accepts, from a file of `user:password` lines (`#` starts a
/// comment line; blank lines are skipped). The file should be readable by its owner only.
public struct KafkaUsers: Sendable {
    private let passwords: [String: [UInt8]]

    public var count: Int { passwords.count }

    public init(passwords: [String: String]) {
        self.passwords = passwords.mapValues { Array($0.utf8) }
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
        var passwords: [String: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw KafkaUsersError(description: "\(path):\(index + 1): expected user:password")
            }
            passwords[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        guard !passwords.isEmpty else { throw KafkaUsersError(description: "\(path): no users in it") }
        self.init(passwords: passwords)
    }

    /// Whether the SASL/PLAIN message (`authzid NUL user NUL password`) names a known user
    /// with its password (and, if given, authorizes as that same user). Compares in time
    /// independent of where the password differs. Returns the user.
    func authenticatePlain(_ message: [UInt8]) -> String? {
        let parts = message.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let user = String(decoding: parts[1], as: UTF8.self)
        let authorizationID = String(decoding: parts[0], as: UTF8.self)
        guard authorizationID.isEmpty || authorizationID == user, let expected = passwords[user] else { return nil }
        let given = Array(parts[2])
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<max(given.count, expected.count) {
            difference |= (i < given.count ? given[i] : 0) ^ (i < expected.count ? expected[i] : 0)
        }
        return difference == 0 ? user : nil
    }
}

public struct KafkaUsersError: Error, CustomStringConvertible {
    public var description: String
}
