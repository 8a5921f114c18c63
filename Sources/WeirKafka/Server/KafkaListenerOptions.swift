public import NIOSSL

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
    /// With users, every connection must authenticate with SASL (PLAIN or SCRAM-SHA-256)
    /// before anything but ApiVersions and SASL; without, nobody authenticates (loopback
    /// only, unless the operator says otherwise).
    public var users: KafkaUsers?
    /// With TLS, every connection is TLS first (Kafka's SSL or, with users, SASL_SSL).
    public var tls: KafkaTLS?
    /// A file the listener writes its address to while it serves (and removes after):
    /// `weir` commands that find the data directory held look there for a way in.
    public var addressFile: String?
    /// Moves a group's committed offsets for an OffsetCommit without a member (generation
    /// -1, as Kafka's tools reset offsets); nil: the log's coordinator alone. `weir` moves
    /// its pipeline sinks' checkpoints with them. Throwing `OffsetResetRefused` refuses it.
    public var resetOffsets: KafkaBroker.ResetOffsets? = nil

    public init(
        host: String = "127.0.0.1",
        port: Int = 9092,
        advertisedHost: String? = nil,
        advertisedPort: Int? = nil,
        autoCreateTopics: Bool = false,
        maxRequestBytes: Int = 100 << 20,
        blockingThreads: Int = 4,
        users: KafkaUsers? = nil,
        tls: KafkaTLS? = nil,
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
        self.tls = tls
        self.addressFile = addressFile
    }
}

/// The listener's TLS server side: its certificate chain and private key, from PEM files.
public struct KafkaTLS: Sendable {
    public let context: NIOSSLContext

    /// Reads the certificate chain (the server's first) and its key; an unreadable or
    /// invalid file is an error naming it.
    public init(certificateFile: String, keyFile: String) throws {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw KafkaTLSError(description: "cannot read the Kafka TLS certificate \(certificateFile) (PEM): \(error)")
        }
        guard !chain.isEmpty else { throw KafkaTLSError(description: "\(certificateFile): no PEM certificate in it") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw KafkaTLSError(description: "cannot read the Kafka TLS private key \(keyFile) (PEM): \(error)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw KafkaTLSError(description: "cannot use the Kafka TLS certificate \(certificateFile) with the key \(keyFile): \(error)")
        }
    }
}

public struct KafkaTLSError: Error, CustomStringConvertible {
    public var description: String
}
