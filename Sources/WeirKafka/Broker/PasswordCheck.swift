import Crypto
import Foundation
import Synchronization

/// Users' passwords checked against `KafkaUsers` for a client that sends them with every
/// request (HTTP Basic authentication: a browser on the web console sends the same user
/// and password every second). Each check is a key derivation of 4096 rounds, a few
/// milliseconds; a pair that passed is remembered (by its SHA-256, never as text) for
/// five minutes, at most 256 pairs, so a session costs one derivation, not one a request.
/// A pair that fails is never remembered: each try costs the derivation again.
public final class PasswordCheck: Sendable {
    private let users: KafkaUsers
    private let passed = Mutex<[Data: ContinuousClock.Instant]>([:])
    private static let remembered = Duration.seconds(300)
    private static let maxRemembered = 256

    public init(_ users: KafkaUsers) {
        self.users = users
    }

    /// Whether `password` is `user`'s.
    public func check(user: String, password: [UInt8]) -> Bool {
        var hasher = SHA256()
        hasher.update(data: Array(user.utf8) + [0] + password)
        let key = Data(hasher.finalize())
        let now = ContinuousClock.now
        if passed.withLock({ $0[key].map { now < $0 } ?? false }) { return true }
        guard users.authenticate(user: user, password: password) else { return false }
        passed.withLock { passed in
            if passed.count >= Self.maxRemembered { passed = passed.filter { now < $0.value } }
            if passed.count >= Self.maxRemembered { passed.removeAll() }
            passed[key] = now + Self.remembered
        }
        return true
    }
}
