/// How a Kafka listener serves: where it binds, what it tells clients to connect to,
/// and the limits it enforces.
public struct KafkaListenerOptions: Sendable {
    public var host: String
    public var port: Int
    /// The host and port Metadata gives clients (default: the bound address).
    public var advertisedHost: String?
    public var advertisedPort: Int?
    /// Whether a Metadata or Produce request for an unknown topic creates it (with the
    /// default topic settings), as Kafka's `auto.create.topics.enable`. Off by default:
    /// a typo should not make a topic.
    public var autoCreateTopics: Bool
    /// The largest request accepted, as Kafka's `socket.request.max.bytes` (100 MiB).
    public var maxRequestBytes: Int
    /// Threads for the log's blocking work (reads, appends, fsyncs), off the event loops
    /// and Swift's cooperative pool.
    public var blockingThreads: Int
    /// With users, every connection must authenticate with SASL/PLAIN before anything but
    /// ApiVersions and SASL; without, nobody authenticates (loopback only, unless the
    /// operator says otherwise).
    public var users: KafkaUsers?
    /// A file the listener writes its address to while it serves (and removes after):
    /// `weir` commands that find the data directory held look there for a way in.
    public var addressFile: String?

    public init(
        host: String = "127.0.0.1",
        port: Int = 9092,
        advertisedHost: String? = nil,
        advertisedPort: Int? = nil,
        autoCreateTopics: Bool = false,
        maxRequestBytes: Int = 100 << 20,
        blockingThreads: Int = 4,
        users: KafkaUsers? = nil,
        addressFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.advertisedHost = advertisedHost
        self.advertisedPort = advertisedPort
        self.autoCreateTopics = autoCreateTopics
        self.maxRequestBytes = maxRequestBytes
        self.blockingThreads = blockingThreads
        self.users = users
        self.addressFile = addressFile
    }
}
