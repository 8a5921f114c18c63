/// What the broker knows of one connection: who is at the other end, and whether it
/// has authenticated.
public struct KafkaSession: Sendable {
    public var peer: String
    public var clientID: String?
    public var clientSoftware: String?

    public init(peer: String) {
        self.peer = peer
    }
}
