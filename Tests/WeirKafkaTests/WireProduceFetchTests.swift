import NIOCore
import Testing
import WeirKafka
import WeirLog

/// Produce, Fetch and ListOffsets against a `weir serve`, over TCP, with batches built as a
/// Kafka client builds them.
@Suite struct WireProduceFetchTests {
    @Test(arguments: zip([Int16(3), 8], [Int16(4), 11]))
    func producedBatchesFetchBackWithTheBrokersOffsets(produceVersion: Int16, fetchVersion: Int16) async throws {
        let bench = try await WireBench.start(topics: ["orders": 2])
        let client = try await bench.connect()
        let plain = Batches.numbered("plain", 3)
        let zipped = Batches.numbered("zipped", 2, from: 3)

        let first = try await client.call(
            ProduceAPI.self, Requests.produce("orders", try Batches.make(plain, codec: .none)), version: produceVersion)
        #expect(first.responses.map(\.name) == ["orders"])
        let firstPartition = try #require(first.only)
        #expect(firstPartition.index == 0)
        #expect(firstPartition.errorCode == .none)
        #expect(firstPartition.baseOffset == 0)
        #expect(firstPartition.logStartOffset == (produceVersion >= 5 ? 0 : -1))

        let second = try await client.call(
            ProduceAPI.self, Requests.produce("orders", try Batches.make(zipped, codec: .gzip)), version: produceVersion)
        #expect(second.only?.errorCode == KafkaErrorCode.none)
        #expect(second.only?.baseOffset == 3)

        let fetched = try await client.call(FetchAPI.self, Requests.fetch("orders", offset: 0), version: fetchVersion)
        #expect(fetched.errorCode == .none)
        let partition = try #require(fetched.only)
        #expect(partition.partitionIndex == 0)
        #expect(partition.errorCode == .none)
        #expect(partition.highWatermark == 5)
        #expect(partition.lastStableOffset == 5)
        #expect(partition.logStartOffset == (fetchVersion >= 5 ? 0 : -1))
        let read = try Batches.read(partition.records)
        #expect(read.headers.map(\.baseOffset) == [0, 3])
        #expect(read.headers.map { $0.attributes & 0x07 } == [0, 1])
        #expect(read.records == Batches.expected(plain, from: 0) + Batches.expected(zipped, from: 3))

        // A limit smaller than the first batch still gets that batch whole (and only it).
        let small = try await client.call(FetchAPI.self, Requests.fetch("orders", offset: 0, partitionMaxBytes: 1), version: fetchVersion)
        #expect(try Batches.read(small.only?.records).records == Batches.expected(plain, from: 0))

        // From the middle of the gzip batch: the whole batch comes, as in Kafka.
        let middle = try await client.call(FetchAPI.self, Requests.fetch("orders", offset: 4), version: fetchVersion)
        #expect(try Batches.read(middle.only?.records).records == Batches.expected(zipped, from: 3))

        // The other partition is untouched.
        let other = try await client.call(FetchAPI.self, Requests.fetch("orders", partition: 1, offset: 0), version: fetchVersion)
        #expect(other.only?.errorCode == KafkaErrorCode.none)
        #expect(other.only?.highWatermark == 0)
        #expect(try Batches.read(other.only?.records).records.isEmpty)
        #expect(try await bench.finish() == 0)
    }

    /// acks=0 has no response: the next thing read is the next request's response.
    @Test func acksZeroGetsNoResponse() async throws {
        let bench = try await WireBench.start(topics: ["orders": 1])
        let client = try await bench.connect()
        let records = Batches.numbered("fire-and-forget", 2)
        let batch = try Batches.make(records)
        let metadata = try await onOwnThread {
            try client.send(ProduceAPI.self, Requests.produce("orders", batch, acks: 0), version: 8)
            return try client.request(MetadataAPI.self, MetadataAPI.Request(topics: ["orders"]), version: 8)
        }
        #expect(metadata.topics.map(\.name) == ["orders"])
        // Requests on a connection are handled in order: the batch is in.
        let fetched = try await client.call(FetchAPI.self, Requests.fetch("orders", offset: 0), version: 11)
        #expect(try Batches.read(fetched.only?.records).records == Batches.expected(records, from: 0))
        #expect(try await bench.finish() == 0)
    }

    @Test func badCRCIsCorruptMessageAndNothingIsAppended() async throws {
        let bench = try await WireBench.start(topics: ["orders": 1])
        let client = try await bench.connect()
        let good = try Batches.make(Batches.numbered("good", 2))
        #expect(try await client.call(ProduceAPI.self, Requests.produce("orders", good), version: 8).only?.baseOffset == 0)

        let bad = Batches.corrupted(try Batches.make(Batches.numbered("bad", 3)))
        let response = try await client.call(ProduceAPI.self, Requests.produce("orders", bad), version: 8)
        #expect(response.only?.errorCode == .corruptMessage)
        #expect(try await client.endOffset("orders") == 2)
        let fetched = try await client.call(FetchAPI.self, Requests.fetch("orders", offset: 0), version: 11)
        #expect(try Batches.read(fetched.only?.records).records.map(\.value) == ["good-0", "good-1"])
        #expect(try await bench.finish() == 0)
    }

    /// A codec Weir cannot read (snappy, 2) is refused whatever the bytes.
    @Test func unreadableCodecIsUnsupportedCompressionType() async throws {
        let bench = try await WireBench.start(topics: ["orders": 1])
        let client = try await bench.connect()
        let snappy = Batches.withCodecBits(try Batches.make(Batches.numbered("snappy", 2)), 2)
        let response = try await client.call(ProduceAPI.self, Requests.produce("orders", snappy), version: 8)
        #expect(response.only?.errorCode == .unsupportedCompressionType)
        #expect(try await client.endOffset("orders") == 0)
        #expect(try await bench.finish() == 0)
    }

    @Test func unknownPartitionOrTopicIsUnknownTopicOrPartition() async throws {
        let bench = try await WireBench.start(topics: ["orders": 2])
        let client = try await bench.connect()
        let batch = try Batches.make(Batches.numbered("lost", 1))
        let partition = try await client.call(ProduceAPI.self, Requests.produce("orders", partition: 2, batch), version: 8)
        #expect(partition.only?.index == 2)
        #expect(partition.only?.errorCode == .unknownTopicOrPartition)
        let topic = try await client.call(ProduceAPI.self, Requests.produce("nowhere", batch), version: 8)
        #expect(topic.only?.errorCode == .unknownTopicOrPartition)
        let fetch = try await client.call(FetchAPI.self, Requests.fetch("orders", partition: 2, offset: 0), version: 11)
        #expect(fetch.only?.errorCode == .unknownTopicOrPartition)
        #expect(try await client.endOffset("orders", partition: 0) == 0)
        #expect(try await client.endOffset("orders", partition: 1) == 0)
        #expect(try await bench.finish() == 0)
    }

    @Test func fetchBeyondTheEndIsOffsetOutOfRange() async throws {
        let bench = try await WireBench.start(topics: ["orders": 1])
        let client = try await bench.connect()
        _ = try await client.call(ProduceAPI.self, Requests.produce("orders", try Batches.make(Batches.numbered("v", 4))), version: 8)
        let response = try await client.call(FetchAPI.self, Requests.fetch("orders", offset: 9), version: 11)
        let partition = try #require(response.only)
        #expect(partition.errorCode == .offsetOutOfRange)
        #expect(partition.highWatermark == 4)
        #expect(partition.logStartOffset == 0)
        #expect(try Batches.read(partition.records).records.isEmpty)
        #expect(try await bench.finish() == 0)
    }

    @Test(arguments: [Int16(1), 5])
    func listOffsetsLatestEarliestAndByTimestamp(version: Int16) async throws {
        let bench = try await WireBench.start(topics: ["orders": 1])
        let client = try await bench.connect()
        let base = currentTimeMillis() - 60_000
        // Two batches: offsets 0–2 at base, base+1, base+2; offsets 3–4 at base+1000, base+1001.
        _ = try await client.call(
            ProduceAPI.self, Requests.produce("orders", try Batches.make(Batches.numbered("a", 3), timestamp: base)), version: 8)
        _ = try await client.call(
            ProduceAPI.self, Requests.produce("orders", try Batches.make(Batches.numbered("b", 2, from: 3), timestamp: base + 1000)),
            version: 8)

        func list(_ timestamp: Int64) async throws -> ListOffsetsAPI.Response.ListOffsetsPartitionResponse {
            let response = try await client.call(
                ListOffsetsAPI.self, Requests.listOffsets("orders", timestamp: timestamp), version: version)
            #expect(response.topics.map(\.name) == ["orders"])
            return try #require(response.only)
        }
        let latest = try await list(ListOffsetsAPI.latestTimestamp)
        #expect(latest.errorCode == .none)
        #expect(latest.offset == 5)
        let earliest = try await list(ListOffsetsAPI.earliestTimestamp)
        #expect(earliest.errorCode == .none)
        #expect(earliest.offset == 0)
        let second = try await list(base + 1)
        #expect(second.offset == 1)
        #expect(second.timestamp == base + 1)
        let laterBatch = try await list(base + 500)
        #expect(laterBatch.offset == 3)
        #expect(laterBatch.timestamp == base + 1000)
        let afterAll = try await list(base + 5000)
        #expect(afterAll.errorCode == .none)
        #expect(afterAll.offset == -1)

        let unknown = try await client.call(
            ListOffsetsAPI.self, Requests.listOffsets("orders", partition: 3, timestamp: -1), version: version)
        #expect(unknown.only?.errorCode == .unknownTopicOrPartition)
        #expect(try await bench.finish() == 0)
    }
}
