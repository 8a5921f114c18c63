/// What the broker knows of one connection: who is at the other end, and whether it
/// has authenticated.
public struct KafkaSession: Sendable {
    public var peer: String
    /// The client's address without the port, as DescribeGroups shows it.
    public var host: String
    public var clientID: String?
    public var clientSoftware: String?
    /// The SASL mechanism the client chose (SaslHandshake), and whether it authenticated.
    public var saslMechanism: String?
    public var authenticated = false
    /// After SaslHandshake v0: the next frame is a bare SASL token.
    public var bareSaslTokenNext = false
    /// A SCRAM-SHA-256 exchange under way (server-first sent, client-final awaited).
    public var scram: ScramSHA256.ServerExchange?
    public var user: String?
    /// The listener's number for this connection in `KafkaClients` (nil outside a listener).
    public var connection: Int?

    public init(peer: String, host: String) {
        self.peer = peer
        self.host = host
    }
}
