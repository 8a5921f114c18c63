public import Foundation
import NIOCore
import Synchronization

/// The listener's live connections, for `weir top` and `GET /api/kafka`: who is at the
/// other end and what it has asked so far. The listener registers a connection when it
/// accepts it and removes it when it closes; the broker updates it once per request
/// (one lock, whatever the request carries).
public final class KafkaClients: Sendable {
    /// One connection as it is at the moment of a snapshot.
    public struct Connection: Sendable, Codable, Equatable {
        /// The listener's number for the connection, in order of arrival.
        public var id: Int
        /// The client's address and port.
        public var peer: String
        /// The client id of its last request header.
        public var clientID: String?
        /// Name and version the client gave in ApiVersions v3 and later (`librdkafka 2.0.2`).
        public var clientSoftware: String?
        /// The SASL/PLAIN user it authenticated as.
        public var user: String?
        /// When it connected (ISO 8601, UTC), and how long ago.
        public var connectedSince: String
        public var connectedSeconds: Double
        /// Requests answered, and their bytes (size prefixes included).
        public var requests: Int
        public var receivedBytes: Int
        public var sentBytes: Int
        /// The API of its last request (`Fetch`).
        public var lastRequest: String?

        // Spelled out: `clientID` would not survive snake_case and back.
        enum CodingKeys: String, CodingKey {
            case id, peer, user, requests
            case clientID = "client_id"
            case clientSoftware = "client_software"
            case connectedSince = "connected_since"
            case connectedSeconds = "connected_seconds"
            case receivedBytes = "received_bytes"
            case sentBytes = "sent_bytes"
            case lastRequest = "last_request"
        }
    }

    private struct Live {
        var peer: String
        var since: Date
        var clientID: String?
        var clientSoftware: String?
        var user: String?
        var requests = 0
        var receivedBytes = 0
        var sentBytes = 0
        var lastRequest: APIKey?
    }

    private let table = Mutex<(next: Int, live: [Int: Live])>((1, [:]))

    public init() {}

    /// A connection from `address` was accepted: its number, for `served` and `closed`.
    func opened(from address: SocketAddress?) -> Int {
        guard let address, let ip = address.ipAddress, let port = address.port else { return opened(peer: "?") }
        return opened(peer: ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)")
    }

    /// A connection from `peer` (`host:port`) was accepted: its number.
    func opened(peer: String, at since: Date = Date()) -> Int {
        table.withLock { table in
            let id = table.next
            table.next += 1
            table.live[id] = Live(peer: peer, since: since)
            return id
        }
    }

    /// The connection of `session` was answered a request of `api`.
    func served(_ session: KafkaSession, api: APIKey, requestBytes: Int, responseBytes: Int) {
        guard let id = session.connection else { return }
        table.withLock { table in
            guard var live = table.live[id] else { return }
            live.clientID = session.clientID
            live.clientSoftware = session.clientSoftware
            live.user = session.user
            live.requests += 1
            live.receivedBytes += requestBytes
            live.sentBytes += responseBytes
            live.lastRequest = api
            table.live[id] = live
        }
    }

    /// The connection closed.
    func closed(_ id: Int) {
        _ = table.withLock { $0.live.removeValue(forKey: id) }
    }

    /// Connections open now.
    public var count: Int { table.withLock { $0.live.count } }

    /// Every open connection, in order of arrival, as of `now`.
    public func snapshot(at now: Date = Date()) -> [Connection] {
        table.withLock { $0.live }.sorted { $0.key < $1.key }.map { id, connection in
            Connection(
                id: id, peer: connection.peer, clientID: connection.clientID, clientSoftware: connection.clientSoftware,
                user: connection.user, connectedSince: connection.since.formatted(.iso8601),
                connectedSeconds: (max(0, now.timeIntervalSince(connection.since)) * 10).rounded() / 10, requests: connection.requests,
                receivedBytes: connection.receivedBytes, sentBytes: connection.sentBytes, lastRequest: connection.lastRequest?.description)
        }
    }
}
