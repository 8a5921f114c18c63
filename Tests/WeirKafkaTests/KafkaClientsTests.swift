import Foundation
import NIOCore
import Testing

@testable import WeirKafka

/// The listener's registry of live connections, without a listener: what `weir top`
/// shows of each Kafka client.
@Suite struct KafkaClientsTests {
    @Test("a connection is listed from accept to close, with what its requests said and carried")
    func connectionsAreListedWhileOpen() throws {
        let clients = KafkaClients()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let first = clients.opened(peer: "127.0.0.1:50000", at: start)
        let second = clients.opened(from: try SocketAddress(ipAddress: "::1", port: 50001))
        #expect(clients.count == 2)

        var session = KafkaSession(peer: "127.0.0.1:50000", host: "127.0.0.1")
        session.connection = first
        session.clientID = "rdkafka"
        clients.served(session, api: .apiVersions, requestBytes: 40, responseBytes: 400)
        session.clientSoftware = "librdkafka 2.0.2"
        session.user = "alice"
        clients.served(session, api: .fetch, requestBytes: 100, responseBytes: 1000)
        // A session outside a listener changes nothing.
        var stray = session
        stray.connection = nil
        clients.served(stray, api: .produce, requestBytes: 1, responseBytes: 1)

        let listed = clients.snapshot(at: start.addingTimeInterval(65.25))
        #expect(listed.map(\.id) == [first, second])
        #expect(
            listed.first
                == KafkaClients.Connection(
                    id: first, peer: "127.0.0.1:50000", clientID: "rdkafka", clientSoftware: "librdkafka 2.0.2", user: "alice",
                    connectedSince: "2023-11-14T22:13:20Z", connectedSeconds: 65.3, requests: 2, receivedBytes: 140, sentBytes: 1400,
                    lastRequest: "Fetch"))
        #expect(listed.last?.peer == "[::1]:50001")
        #expect(listed.last?.requests == 0 && listed.last?.clientID == nil && listed.last?.lastRequest == nil)

        clients.closed(first)
        // A request still on its way when the connection closed is not counted anywhere.
        clients.served(session, api: .fetch, requestBytes: 100, responseBytes: 1000)
        #expect(clients.snapshot().map(\.id) == [second])
        clients.closed(second)
        #expect(clients.count == 0)
    }

    @Test("a connection encodes with snake_case keys that decode back as they are")
    func connectionCoding() throws {
        let connection = KafkaClients.Connection(
            id: 7, peer: "127.0.0.1:1", clientID: "c", clientSoftware: nil, user: nil, connectedSince: "2023-11-14T22:13:20Z",
            connectedSeconds: 1, requests: 2, receivedBytes: 3, sentBytes: 4, lastRequest: "Metadata")
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(connection), as: UTF8.self)
        #expect(
            text
                == #"{"client_id":"c","connected_seconds":1,"connected_since":"2023-11-14T22:13:20Z","id":7,"last_request":"Metadata","#
                + #""peer":"127.0.0.1:1","received_bytes":3,"requests":2,"sent_bytes":4}"#)
        #expect(try JSONDecoder().decode(KafkaClients.Connection.self, from: Data(text.utf8)) == connection)
    }
}
