/// What the broker knows of one connection: who is at the other end, and whether it
/// has authenticated.
public struct KafkaSession: Sendable {
    public var peer: String
    /// The client's address without the port, as DescribeGroups shows it.
    public var host: String
    public var clientID: String?
    public var clientSoftware: String?

    public init(peer: String, host: String) {
        self.peer = peer
        self.host = host
    }
}
