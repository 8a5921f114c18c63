/// The users of `weir run --http --http-users FILE`: who may sign in with a user and
/// password (`Authorization: Basic`). The check itself comes from whoever read the file
/// (the Kafka listener's users, `KafkaUsers`), so this module needs no password code.
public struct HTTPUsers: Sendable, Equatable {
    /// Where the users come from (the file), for messages; two are equal when it is the same.
    public var source: String
    /// Whether `password` is the user's.
    let check: @Sendable (_ user: String, _ password: [UInt8]) -> Bool

    public init(source: String, check: @escaping @Sendable (_ user: String, _ password: [UInt8]) -> Bool) {
        self.source = source
        self.check = check
    }

    public static func == (left: HTTPUsers, right: HTTPUsers) -> Bool {
        left.source == right.source
    }
}
