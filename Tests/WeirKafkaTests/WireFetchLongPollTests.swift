import Foundation
import Testing
import WeirKafka

/// Fetch waiting at the end of a partition: an append on another connection answers it.
@Suite struct WireFetchLongPollTests {
    @Test func aFetchWaitingAtTheEndIsAnsweredByAProduceOnAnotherConnection() async throws {
        let bench = try await WireBench.start(topics: ["orders": 1])
        let consumer = try await bench.connect(clientID: "consumer")
        let producer = try await bench.connect(clientID: "producer")
        _ = try await producer.call(ProduceAPI.self, Requests.produce("orders", try Batches.make(Batches.numbered("old", 2))), version: 8)

        // The consumer waits at offset 2 for up to 60 s for one byte: far longer than the
        // test takes even on a loaded machine, so only the append can answer it in time.
        let sent = Date()
        let waiting = Task {
            try await consumer.call(FetchAPI.self, Requests.fetch("orders", offset: 2, maxWaitMs: 60_000, minBytes: 1), version: 11)
        }
        // Give the fetch time to reach the broker and wait there (it is answered either way).
        try await Task.sleep(for: .milliseconds(300))
        let fresh = Batches.numbered("new", 1, from: 2)
        let produced = try await producer.call(ProduceAPI.self, Requests.produce("orders", try Batches.make(fresh)), version: 8)
        #expect(produced.only?.baseOffset == 2)

        let response = try await waiting.value
        let elapsed = Date().timeIntervalSince(sent)
        let partition = try #require(response.only)
        #expect(partition.errorCode == .none)
        #expect(partition.highWatermark == 3)
        #expect(try Batches.read(partition.records).records == Batches.expected(fresh, from: 2))
        // Answered by the append, not by the end of the 60 s wait (which re-reads and would
        // also find the record).
        #expect(elapsed < 60, "the waiting fetch was answered after \(elapsed) s")
        #expect(try await bench.finish() == 0)
    }

    @Test func aFetchAtTheEndWithNothingNewAnswersEmptyAtItsMaxWait() async throws {
        let bench = try await WireBench.start(topics: ["orders": 1])
        let client = try await bench.connect()
        _ = try await client.call(ProduceAPI.self, Requests.produce("orders", try Batches.make(Batches.numbered("v", 3))), version: 8)
        let response = try await client.call(
            FetchAPI.self, Requests.fetch("orders", offset: 3, maxWaitMs: 200, minBytes: 1), version: 11)
        let partition = try #require(response.only)
        #expect(response.errorCode == .none)
        #expect(partition.errorCode == .none)
        #expect(partition.highWatermark == 3)
        #expect(partition.logStartOffset == 0)
        #expect(try Batches.read(partition.records).records.isEmpty)
        #expect(try await bench.finish() == 0)
    }
}
