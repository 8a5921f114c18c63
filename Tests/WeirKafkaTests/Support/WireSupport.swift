import Foundation
import NIOCore
import WeirKafka
import WeirLog
import WeirTestSupport

/// One wire test's world: a temporary data directory (topics made with `weir topics
/// create` before serving) and a `weir serve` on it.
final class WireBench: @unchecked Sendable {
    let directory = TemporaryDirectory()
    var dataDir: String { directory.path + "/data" }
    private(set) var serving: ServingWeir!

    /// Makes the topics (name: partitions), then starts `weir serve` with `extra` options.
    static func start(topics: [String: Int] = [:], extra: [String] = []) async throws -> WireBench {
        let bench = WireBench()
        for (name, partitions) in topics.sorted(by: { $0.key < $1.key }) {
            try await weirCommand(bench.dataDir, ["topics", "create", name, "--partitions", "\(partitions)"])
        }
        bench.serving = try await ServingWeir.start(dataDir: bench.dataDir, extra: extra)
        return bench
    }

    /// The server stops before the directory goes.
    deinit { _ = serving?.stop() }

    var address: String { serving.address }
    var port: Int { serving.port }

    func connect(clientID: String = "weir-wire-test") async throws -> KafkaWireClient {
        try await serving.connect(clientID: clientID)
    }

    /// Kills the server (SIGKILL) and starts a new one on the same data directory.
    func crashAndRestart(extra: [String] = []) async throws {
        _ = try await serving.crashed()
        serving = try await ServingWeir.start(dataDir: dataDir, extra: extra)
    }

    /// Stops the server with SIGTERM; its exit status.
    func finish() async throws -> Int32 {
        try await serving.stopped()
    }
}

/// Building and reading record batches as a Kafka client does.
enum Batches {
    /// A RecordBatch v2 of `records` (key, value) from WeirLog's builder, timestamps from
    /// `timestamp` one millisecond apart.
    static func make(_ records: [(key: String, value: String)], codec: CompressionCodec = .none, timestamp: Int64? = nil) throws
        -> [UInt8]
    {
        let start = timestamp ?? currentTimeMillis()
        return try RecordBatchBuilder.encode(
            records.enumerated().map { index, record in
                Record(key: Array(record.key.utf8), value: Array(record.value.utf8), timestamp: start + Int64(index))
            },
            codec: codec)
    }

    /// `count` records `prefix-0`… (keys `k-0`…).
    static func numbered(_ prefix: String, _ count: Int, from first: Int = 0) -> [(key: String, value: String)] {
        (first..<first + count).map { ("k-\($0)", "\(prefix)-\($0)") }
    }

    /// The batch as an idempotent producer sends it: producer id, epoch and base sequence
    /// set, CRC recomputed.
    static func idempotent(_ batch: [UInt8], producerID: Int64, epoch: Int16, sequence: Int32) -> [UInt8] {
        var bytes = batch
        set(producerID, in: &bytes, at: 43)
        set(epoch, in: &bytes, at: 51)
        set(sequence, in: &bytes, at: 53)
        return resealed(bytes)
    }

    /// The batch with the codec bits of its attributes changed (the body left as it is),
    /// CRC recomputed: what a client using a codec Weir cannot read would send.
    static func withCodecBits(_ batch: [UInt8], _ codec: Int16) -> [UInt8] {
        var bytes = batch
        let attributes = Int16(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 21, as: Int16.self) })
        set((attributes & ~0x07) | codec, in: &bytes, at: 21)
        return resealed(bytes)
    }

    /// The batch with its last byte changed and the CRC left as it was.
    static func corrupted(_ batch: [UInt8]) -> [UInt8] {
        var bytes = batch
        bytes[bytes.count - 1] ^= 0xff
        return bytes
    }

    private static func resealed(_ batch: [UInt8]) -> [UInt8] {
        var bytes = batch
        set(CRC32C.checksum(bytes[RecordBatchHeader.attributesOffset...]), in: &bytes, at: RecordBatchHeader.crcOffset)
        return bytes
    }

    private static func set<T: FixedWidthInteger>(_ value: T, in bytes: inout [UInt8], at offset: Int) {
        withUnsafeBytes(of: value.bigEndian) { raw in
            for (index, byte) in raw.enumerated() { bytes[offset + index] = byte }
        }
    }

    /// A fetched record: its offset, key and value as text.
    struct Fetched: Equatable, CustomStringConvertible {
        var offset: Int64
        var key: String?
        var value: String?
        var description: String { "\(offset):\(key ?? "null")=\(value ?? "null")" }
    }

    /// The batches back to back in a Fetch response's records (each checked: CRC, codec),
    /// with their headers and records.
    static func read(_ records: ByteBuffer?) throws -> (headers: [RecordBatchHeader], records: [Fetched]) {
        guard let records else { return ([], []) }
        let bytes = Array(records.readableBytesView)
        var headers: [RecordBatchHeader] = []
        var fetched: [Fetched] = []
        var position = 0
        while position < bytes.count {
            let batch = try bytes[position...].withUnsafeBytes { try RecordBatch(parsing: $0) }
            headers.append(batch.header)
            try batch.forEachRecord { view in
                fetched.append(
                    Fetched(
                        offset: view.offset, key: view.key.map { String(decoding: $0, as: UTF8.self) },
                        value: view.value.map { String(decoding: $0, as: UTF8.self) }))
            }
            position += batch.header.totalSize
        }
        return (headers, fetched)
    }

    /// What `records` read back as, at offsets from `base`.
    static func expected(_ records: [(key: String, value: String)], from base: Int64) -> [Fetched] {
        records.enumerated().map { Fetched(offset: base + Int64($0.offset), key: $0.element.key, value: $0.element.value) }
    }
}

/// Requests the tests send often.
enum Requests {
    static func produce(_ topic: String, partition: Int32 = 0, _ batch: [UInt8], acks: Int16 = -1) -> ProduceAPI.Request {
        ProduceAPI.Request(
            acks: acks, timeoutMs: 10_000,
            topicData: [.init(name: topic, partitionData: [.init(index: partition, records: ByteBuffer(bytes: batch))])])
    }

    static func fetch(
        _ topic: String, partition: Int32 = 0, offset: Int64, maxWaitMs: Int32 = 0, minBytes: Int32 = 1, partitionMaxBytes: Int32 = 10 << 20
    ) -> FetchAPI.Request {
        FetchAPI.Request(
            maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: 10 << 20,
            topics: [
                .init(topic: topic, partitions: [.init(partition: partition, fetchOffset: offset, partitionMaxBytes: partitionMaxBytes)])
            ])
    }

    static func listOffsets(_ topic: String, partition: Int32 = 0, timestamp: Int64) -> ListOffsetsAPI.Request {
        ListOffsetsAPI.Request(topics: [.init(name: topic, partitions: [.init(partitionIndex: partition, timestamp: timestamp)])])
    }
}

extension ProduceAPI.Response {
    /// The only partition's answer.
    var only: PartitionProduceResponse? { responses.first?.partitionResponses.first }
}

extension FetchAPI.Response {
    var only: PartitionData? { responses.first?.partitions.first }
}

extension ListOffsetsAPI.Response {
    var only: ListOffsetsPartitionResponse? { topics.first?.partitions.first }
}

extension KafkaWireClient {
    /// The partition's end offset (ListOffsets latest).
    func endOffset(_ topic: String, partition: Int32 = 0) async throws -> Int64? {
        try await call(ListOffsetsAPI.self, Requests.listOffsets(topic, partition: partition, timestamp: -1), version: 5).only?.offset
    }
}
