import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

@Suite("Record batch codec")
struct RecordBatchTests {
    static let edgeRecords: [Record] = [
        Record(key: nil, value: nil, timestamp: 1_700_000_000_000),
        Record(key: [], value: [], timestamp: 1_700_000_000_001),
        Record(key: bytes("k"), value: bytes("v"), timestamp: 1_699_999_999_000),
        Record(
            key: nil, value: bytes("héllo wörld ✓"), timestamp: 1_700_000_000_500,
            headers: [
                RecordHeader(key: "trace", value: bytes("abc")), RecordHeader(key: "empty", value: nil), RecordHeader(key: "", value: []),
            ]),
        Record(key: [0, 255, 7], value: Array(repeating: 0xAB, count: 1_300_000), timestamp: 1_700_000_000_002),
    ]

    @Test("records round-trip through a batch", arguments: CompressionCodec.allCases)
    func roundTrip(codec: CompressionCodec) throws {
        let encoded = try RecordBatchBuilder.encode(Self.edgeRecords, codec: codec, level: 6)
        let batch = try encoded.withUnsafeBytes { try RecordBatch(parsing: $0) }
        #expect(batch.header.magic == 2)
        #expect(batch.header.recordsCount == Int32(Self.edgeRecords.count))
        #expect(batch.header.lastOffsetDelta == Int32(Self.edgeRecords.count - 1))
        #expect(batch.header.baseTimestamp == Self.edgeRecords[0].timestamp)
        #expect(batch.header.maxTimestamp == Self.edgeRecords.map(\.timestamp).max())
        #expect(batch.codec == codec)
        let decoded = try batch.records()
        #expect(decoded.map(\.record) == Self.edgeRecords)
        #expect(decoded.map(\.offset) == Array(0..<Int64(Self.edgeRecords.count)))
    }

    @Test("many random records round-trip", arguments: CompressionCodec.allCases)
    func manyRecords(codec: CompressionCodec) throws {
        var random = SeededGenerator(seed: 42)
        let records = (0..<20_000).map { i -> Record in
            let valueLength = Int.random(in: 0..<300, using: &random)
            let key: [UInt8]? =
                i % 3 == 0 ? nil : (0..<Int.random(in: 0..<20, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            return Record(
                key: key, value: (0..<valueLength).map { _ in UInt8.random(in: 32...126, using: &random) },
                timestamp: 1_700_000_000_000 + Int64.random(in: -5000...5000, using: &random))
        }
        let encoded = try RecordBatchBuilder.encode(records, codec: codec)
        let decoded = try encoded.withUnsafeBytes { try RecordBatch(parsing: $0).records() }
        #expect(decoded.map(\.record) == records)
    }

    @Test("the CRC covers attributes to the end, not the base offset")
    func crcRange() throws {
        var encoded = try RecordBatchBuilder.encode([Record(value: bytes("x"), timestamp: 1)], codec: .none)
        encoded.withUnsafeMutableBytes { $0.storeBytes(of: Int64(12345).bigEndian, toByteOffset: 0, as: Int64.self) }
        let batch = try encoded.withUnsafeBytes { try RecordBatch(parsing: $0) }
        #expect(batch.header.baseOffset == 12345)
        #expect(try batch.records().first?.offset == 12345)
        encoded[encoded.count - 1] ^= 0x01
        #expect(throws: RecordBatchError.self) { try encoded.withUnsafeBytes { try RecordBatch(parsing: $0) } }
    }

    @Test("CRC-32C matches published vectors")
    func crcVectors() {
        // RFC 3720 (iSCSI) B.4 and the common check value.
        #expect(CRC32C.checksum(bytes("123456789")) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test("CRC-32C chains across buffers")
    func crcChains() {
        let whole = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let first = whole[0..<333].withUnsafeBytes { CRC32C.checksum($0) }
        let chained = whole[333...].withUnsafeBytes { CRC32C.checksum($0, continuing: first) }
        #expect(chained == CRC32C.checksum(whole))
    }

    @Test("the gzip codec writes RFC 1952 framing")
    func gzipFraming() throws {
        let encoded = try RecordBatchBuilder.encode([Record(value: bytes("hello"), timestamp: 1)], codec: .gzip)
        #expect(encoded[RecordBatchHeader.size] == 0x1F)
        #expect(encoded[RecordBatchHeader.size + 1] == 0x8B)
        #expect(encoded[RecordBatchHeader.size + 2] == 8)  // deflate
    }

    @Test("the decoder also accepts zlib (RFC 1950) framing")
    func zlibFraming() throws {
        // Re-frame a gzip batch's records as a zlib stream, then fix up length and CRC.
        let plain = try RecordBatchBuilder.encode([Record(value: bytes("zlib framed"), timestamp: 5)], codec: .none)
        let records = Data(plain[RecordBatchHeader.size...])
        let zlibStream = try zlibCompress(records)
        var batch = Array(plain[0..<RecordBatchHeader.size]) + zlibStream
        let batchLength = Int32(batch.count - 12)
        batch.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: batchLength.bigEndian, toByteOffset: 8, as: Int32.self)
            raw.storeBytes(of: Int16(1).bigEndian, toByteOffset: 21, as: Int16.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[21...]))
            raw.storeBytes(of: crc.bigEndian, toByteOffset: 17, as: UInt32.self)
        }
        #expect(batch[RecordBatchHeader.size] == 0x78)
        let decoded = try batch.withUnsafeBytes { try RecordBatch(parsing: $0).records() }
        #expect(decoded.first?.record.value == bytes("zlib framed"))
    }

    @Test("snappy, lz4 and zstd give a clear error", arguments: [2, 3, 4])
    func unsupportedCodec(codec: Int) throws {
        var batch = try RecordBatchBuilder.encode([Record(value: bytes("x"), timestamp: 1)], codec: .none)
        batch.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Int16(codec).bigEndian, toByteOffset: 21, as: Int16.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[21...]))
            raw.storeBytes(of: crc.bigEndian, toByteOffset: 17, as: UInt32.self)
        }
        let error = #expect(throws: WeirLogError.self) { try batch.withUnsafeBytes { try RecordBatch(parsing: $0) } }
        #expect(error?.description.hasPrefix("unsupported compression codec \(codec)") == true)
    }

    @Test("a truncated or garbage batch is an error, never a crash")
    func garbage() throws {
        let good = try RecordBatchBuilder.encode([Record(value: bytes("abc"), timestamp: 1)], codec: .gzip)
        for cut in 0..<good.count {
            #expect(throws: (any Error).self) { try Array(good[0..<cut]).withUnsafeBytes { try RecordBatch(parsing: $0) } }
        }
        var random = SeededGenerator(seed: 7)
        for _ in 0..<500 {
            let junk = (0..<Int.random(in: 0..<200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try? junk.withUnsafeBytes { try RecordBatch(parsing: $0).records() }
        }
    }
}

/// zlib (RFC 1950) framing via Python, so the test does not reuse Weir's own compressor.
func zlibCompress(_ data: Data) throws -> [UInt8] {
    let result = try run(
        "/usr/bin/env", ["python3", "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"], input: data)
    #expect(result.status == 0)
    return Array(result.stdout)
}
