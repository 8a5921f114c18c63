import Foundation
import Testing

@testable import weir

/// `weir top`'s Kafka sections, drawn from fixed `/api/kafka` bodies.
@Suite struct TopViewTests {
    static let body = """
        {"serving": true,
         "clients": [
          {"id": 1, "peer": "127.0.0.1:50000", "client_id": "rdkafka", "client_software": "librdkafka 2.0.2",
           "connected_since": "2023-11-14T22:13:20Z", "connected_seconds": 65.2, "requests": 1234, "received_bytes": 2048,
           "sent_bytes": 3145728, "last_request": "Fetch"},
          {"id": 2, "peer": "[::1]:50001", "user": "alice", "connected_since": "2023-11-14T21:11:00Z", "connected_seconds": 3725,
           "requests": 3, "received_bytes": 120, "sent_bytes": 900}],
         "groups": [
          {"group": "readers", "state": "Stable", "lag": 42, "members": [
           {"member_id": "rdkafka-1", "client_id": "rdkafka", "host": "127.0.0.1", "lag": 42,
            "partitions": [{"topic": "shared", "partition": 0}, {"topic": "shared", "partition": 1}, {"topic": "other", "partition": 3}]},
           {"member_id": "rdkafka-2", "client_id": "rdkafka", "host": "10.0.0.2", "partitions": []}]}]}
        """

    @Test("the Kafka clients and the groups' members from outside, in aligned columns (numbers to the right)")
    func kafkaSections() throws {
        let kafka = try TopView.decodeKafka(Data(Self.body.utf8))
        #expect(kafka.serving)
        #expect(
            TopView.kafkaLines(kafka) == [
                "Kafka clients",
                "ADDRESS          CLIENT   SOFTWARE          USER   REQUESTS       IN      OUT    AGE",
                "127.0.0.1:50000  rdkafka  librdkafka 2.0.2             1.2k  2.0 KiB  3.0 MiB  1m 5s",
                "[::1]:50001                                 alice         3    120 B    900 B  1h 2m",
                "",
                "Group members from outside",
                "GROUP    MEMBER     CLIENT   HOST       PARTITIONS          LAG",
                "readers  rdkafka-1  rdkafka  127.0.0.1  shared/0,1 other/3   42",
                "readers  rdkafka-2  rdkafka  10.0.0.2",
            ])
    }

    @Test("a listener without clients says so; a weir without one says it serves none")
    func emptyAndNotServing() throws {
        let empty = try TopView.decodeKafka(Data(#"{"serving": true, "clients": [], "groups": []}"#.utf8))
        #expect(TopView.kafkaLines(empty) == ["Kafka clients: none connected", "", "Group members from outside: none"])
        let none = try TopView.decodeKafka(Data(#"{"serving": false}"#.utf8))
        #expect(!none.serving)
    }
}
