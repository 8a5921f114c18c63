import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// Weir's segments against an independent Kafka RecordBatch v2 codec written in Python
/// from the format description (Tests/Interop/kafka_batch.py), sharing no code with Weir.
@Suite("Interop with an independent decoder")
struct InteropTests {
    static let script = Paths.packageRoot + "/Tests/Interop/kafka_batch.py"

    static let records: [Record] = [
        Record(key: nil, value: bytes("first line"), timestamp: 1_700_000_000_000),
        Record(key: [], value: nil, timestamp: 1_700_000_000_010),
        Record(
            key: bytes("user-42"), value: [], timestamp: 1_699_000_000_000,
            headers: [RecordHeader(key: "h1", value: bytes("v1")), RecordHeader(key: "h2", value: nil)]),
        Record(key: [0xFF, 0x00], value: Array(repeating: 0x5A, count: 1_100_000), timestamp: 1_700_000_000_020),
        Record(key: nil, value: bytes("ünïcödé ✓"), timestamp: 1_700_000_000_030),
    ]

    struct PythonRecord: Codable {
        var offset: Int64?
        var timestamp: Int64
        var key: String?
        var value: String?
        var headers: [[String?]]

        init(_ record: Record, offset: Int64) {
            self.offset = offset
            timestamp = record.timestamp
            key = record.key.map { Data($0).base64EncodedString() }
            value = record.value.map { Data($0).base64EncodedString() }
            headers = record.headers.map { [$0.key, $0.value.map { Data($0).base64EncodedString() }] }
        }

        var record: Record {
            Record(
                key: key.flatMap { Data(base64Encoded: $0) }.map(Array.init),
                value: value.flatMap { Data(base64Encoded: $0) }.map(Array.init),
                timestamp: timestamp,
                headers: headers.map { RecordHeader(key: $0[0] ?? "", value: $0[1].flatMap { Data(base64Encoded: $0) }.map(Array.init)) })
        }
    }

    @Test("a segment written by Weir is read by the independent decoder", arguments: CompressionCodec.allCases)
    func weirToPython(codec: CompressionCodec) throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("interop", config: TopicConfig(partitions: 1, compression: codec))
        // Two appends, so the segment holds several batches with assigned base offsets.
        try topic.append(Array(Self.records[0..<2]), partition: 0)
        try topic.append(Array(Self.records[2...]), partition: 0)
        try log.close()

        let segment = directory.path + "/topics/interop/0/00000000000000000000.log"
        let result = try run("/usr/bin/env", ["python3", Self.script, "decode", segment])
        #expect(result.status == 0, "decoder failed: \(result.stderr)")
        let decoded = try lines(of: result.stdout).map { try JSONDecoder().decode(PythonRecord.self, from: Data($0.utf8)) }
        #expect(decoded.map(\.record) == Self.records)
        #expect(decoded.map(\.offset) == Array(0..<Int64(Self.records.count)))
    }

    @Test("batches written by the independent encoder are read by Weir", arguments: [0, 1])
    func pythonToWeir(codec: Int) throws {
        let directory = TemporaryDirectory()
        let input = try Self.records.enumerated().map { try JSONEncoder().encode(PythonRecord($1, offset: Int64($0))) }
        let jsonLines = input.reduce(Data()) { $0 + $1 + Data([0x0a]) }
        let file = directory.path + "/python.log"
        let result = try run(
            "/usr/bin/env", ["python3", Self.script, "encode", file, "--codec", "\(codec)", "--records-per-batch", "2"],
            input: jsonLines)
        #expect(result.status == 0, "encoder failed: \(result.stderr)")

        // Read it as a segment file: every batch checked and decoded by Weir.
        let bytes = try FileSystem.readWholeFile(file)
        var decoded: [(Int64, Record)] = []
        try bytes.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let batch = try RecordBatch(parsing: UnsafeRawBufferPointer(rebasing: raw[at...]))
                #expect(batch.codec.rawValue == codec)
                decoded += try batch.records().map { ($0.offset, $0.record) }
                at += batch.header.totalSize
            }
        }
        #expect(decoded.map(\.1) == Self.records)
        #expect(decoded.map(\.0) == Array(0..<Int64(Self.records.count)))

        // And appended to a partition as they are: the CRC lets Weir reassign base offsets.
        let log = try EmbeddedLog(directory: directory.path + "/data")
        let topic = try log.createTopic("from-python")
        var batches: [[UInt8]] = []
        bytes.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let length = Int(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: at + 8, as: Int32.self))) + 12
                batches.append(Array(raw[at..<at + length]))
                at += length
            }
        }
        try topic.partitions[0].append(batches)
        try topic.partitions[0].append(batches)
        let all = try readAll(topic)
        #expect(all.map(\.record) == Self.records + Self.records)
        #expect(all.map(\.offset) == Array(0..<Int64(2 * Self.records.count)))
        try log.close()
    }
}
