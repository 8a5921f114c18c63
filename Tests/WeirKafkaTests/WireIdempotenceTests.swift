import Testing
import WeirKafka

/// Idempotent producers over the wire: InitProducerId, then batches with the producer's id,
/// epoch and sequences, appended once each, also across a crash of the server.
@Suite struct WireIdempotenceTests {
    @Test func retriedBatchesAreAppendedOnceAndGapsAndOldEpochsAreRefused() async throws {
        let bench = try await WireBench.start(topics: ["orders": 1])
        var client = try await bench.connect(clientID: "idempotent")

        let initialized = try await client.call(InitProducerIdAPI.self, InitProducerIdAPI.Request(transactionTimeoutMs: -1), version: 1)
        #expect(initialized.errorCode == .none)
        #expect(initialized.producerEpoch == 0)
        let id = initialized.producerID
        #expect(id >= 0)

        // Sequence 0: records 0–2.
        let first = Batches.idempotent(try Batches.make(Batches.numbered("first", 3)), producerID: id, epoch: 0, sequence: 0)
        let appended = try await client.call(ProduceAPI.self, Requests.produce("orders", first), version: 8)
        #expect(appended.only?.errorCode == KafkaErrorCode.none)
        #expect(appended.only?.baseOffset == 0)

        // The same batch again (a retry): success, the same offset, nothing appended.
        let retried = try await client.call(ProduceAPI.self, Requests.produce("orders", first), version: 8)
        #expect(retried.only?.errorCode == KafkaErrorCode.none)
        #expect(retried.only?.baseOffset == 0)
        #expect(try await client.endOffset("orders") == 3)

        // A gap: sequence 5 where 3 is next.
        let gap = Batches.idempotent(try Batches.make(Batches.numbered("gap", 1)), producerID: id, epoch: 0, sequence: 5)
        let gapped = try await client.call(ProduceAPI.self, Requests.produce("orders", gap), version: 8)
        #expect(gapped.only?.errorCode == .outOfOrderSequenceNumber)
        #expect(try await client.endOffset("orders") == 3)

        // Sequence 3 follows: records 3–4.
        let second = Batches.idempotent(try Batches.make(Batches.numbered("second", 2, from: 3)), producerID: id, epoch: 0, sequence: 3)
        #expect(try await client.call(ProduceAPI.self, Requests.produce("orders", second), version: 8).only?.baseOffset == 3)
        // An older batch among the producer's last five is still known.
        #expect(try await client.call(ProduceAPI.self, Requests.produce("orders", first), version: 8).only?.baseOffset == 0)
        #expect(try await client.endOffset("orders") == 5)

        // A new epoch starts at sequence 0; after it the older epoch is fenced.
        let bumped = Batches.idempotent(try Batches.make(Batches.numbered("epoch1", 2, from: 5)), producerID: id, epoch: 1, sequence: 0)
        #expect(try await client.call(ProduceAPI.self, Requests.produce("orders", bumped), version: 8).only?.baseOffset == 5)
        let stale = Batches.idempotent(try Batches.make(Batches.numbered("stale", 1)), producerID: id, epoch: 0, sequence: 5)
        let fenced = try await client.call(ProduceAPI.self, Requests.produce("orders", stale), version: 8)
        #expect(fenced.only?.errorCode == .invalidProducerEpoch)
        #expect(try await client.endOffset("orders") == 7)

        // The server crashes; the producer retries its last batch against the new one.
        try await bench.crashAndRestart()
        client = try await bench.connect(clientID: "idempotent")
        #expect(try await client.endOffset("orders") == 7)
        let afterCrash = try await client.call(ProduceAPI.self, Requests.produce("orders", bumped), version: 8)
        #expect(afterCrash.only?.errorCode == KafkaErrorCode.none)
        #expect(afterCrash.only?.baseOffset == 5)
        #expect(try await client.endOffset("orders") == 7)
        // And the sequence carries on from where it was.
        let next = Batches.idempotent(try Batches.make(Batches.numbered("next", 1, from: 7)), producerID: id, epoch: 1, sequence: 2)
        #expect(try await client.call(ProduceAPI.self, Requests.produce("orders", next), version: 8).only?.baseOffset == 7)

        let fetched = try await client.call(FetchAPI.self, Requests.fetch("orders", offset: 0), version: 11)
        #expect(
            try Batches.read(fetched.only?.records).records.compactMap(\.value) == [
                "first-0", "first-1", "first-2", "second-3", "second-4", "epoch1-5", "epoch1-6", "next-7",
            ])
        #expect(try await bench.finish() == 0)
    }
}
