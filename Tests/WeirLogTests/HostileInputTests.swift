import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// Bytes that are well-formed enough to pass a CRC but lie about themselves, and files
/// that disagree with each other: each must be an error or a recovery, never a crash,
/// a hang or a reused offset.
@Suite("Hostile batches and inconsistent files")
struct HostileInputTests {
    /// A one-record batch with its fields overridden and a valid CRC.
    static func batch(baseOffset: Int64 = 0, lastOffsetDelta: Int32 = 0, recordOffsetDelta: Int64 = 0, records: Int32 = 1) -> [UInt8] {
        let writer = ByteWriter()
        writer.writeVarint(0)  // placeholder length, patched below
        let bodyStart = writer.count
        writer.writeBigEndian(Int8(0))
        writer.writeVarint(0)
        writer.writeVarint(recordOffsetDelta)
        writer.writeVarint(-1)
        writer.writeVarint(1)
        writer.write(Array("x".utf8).withUnsafeBytes { UnsafeRawBufferPointer(start: $0.baseAddress, count: 1) })
        writer.writeVarint(0)
        let body = Array(writer.bytes[bodyStart...])
        let record = ByteWriter()
        record.writeVarint(Int64(body.count))
        body.withUnsafeBytes { record.write($0) }

        let out = ByteWriter()
        out.writeBigEndian(baseOffset)
        out.writeBigEndian(Int32(RecordBatchHeader.size - 12 + record.count))
        out.writeBigEndian(Int32(0))
        out.writeBigEndian(Int8(2))
        out.writeBigEndian(UInt32(0))
        out.writeBigEndian(Int16(0))
        out.writeBigEndian(lastOffsetDelta)
        out.writeBigEndian(Int64(1_700_000_000_000))
        out.writeBigEndian(Int64(1_700_000_000_000))
        out.writeBigEndian(Int64(-1))
        out.writeBigEndian(Int16(-1))
        out.writeBigEndian(Int32(-1))
        out.writeBigEndian(records)
        out.write(record.bytes)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out.bytes[RecordBatchHeader.attributesOffset...]))
        out.setBigEndian(crc, at: RecordBatchHeader.crcOffset)
        return out.toArray()
    }

    @Test(
        "a CRC-valid batch with impossible offsets is refused, not trapped on",
        arguments: [
            (Int64.max, Int32(0), Int64(0)),
            (Int64(1), Int32(0), Int64.max),
            (Int64(0), Int32(0), Int64(5)),
            (Int64(-7), Int32(0), Int64(0)),
        ])
    func impossibleOffsets(base: Int64, lastDelta: Int32, recordDelta: Int64) throws {
        let bytes = Self.batch(baseOffset: base, lastOffsetDelta: lastDelta, recordOffsetDelta: recordDelta)
        #expect(throws: (any Error).self) {
            try bytes.withUnsafeBytes { try RecordBatch(parsing: $0).records() }
        }
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let partition = try log.createTopic("t").partitions[0]
        #expect(throws: WeirLogError.self) { try partition.append([bytes]) }
        #expect(try partition.endOffset == 0)
        try log.close()
    }

    /// Found by Fuzz/FuzzRecordBatch (a timeout under ASan): a CRC-valid gzip batch whose
    /// trailer claims 4 GiB made every read of it allocate (and zero) 256 MiB.
    static let lyingGzipTrailer =
        "AAAAAAYAAAAAAAWcAAAAAAI1DtsiAAEAAAAxAAABohfMvKAAAAGiF8y8oP//////////////////AAAAMh+LCAAAAAAABAPFWE1rJFUUrRdEREREREREniIyI3ZR9eq7xh5MTAajmTEkQWRijJWql06Rrqq2qjqZzo9wIeJCXAwyCxeSxSxcDEFczEIGVy5kEBciLmQWMr9AvK86puvjVafaJGQR0oTknvvOOfcrB1OCIKD9qVnqYlnCkm5rmq3qeMHZWL6Ok2TLWyUqkaQ1G8d0h8YJxYHT6/lhB7tb1N1mHzo0dTwv9sPNCG9GMQ4TMXDieOB0ve1Nx91z90Q3CvCqbCgiUVRRkUXZ1NfwpuN3qYdbePG95eX5mYU5PLM0N/1ua/4anl5Zmbu6uPKS8A0ShCn0JWqQ33y443R9D/cTGuNduhE4SQqfNmPALkILdyHqI+i7JlH9sNdP11lMp59urcf0kz5NUhv7fLTVXkzZL64J+4DxKLrZBKPnBOv90L9xgfFtsz+/aA/pxT0nSS4Nn9QPt8NoNxS+BskeQ583kYwbmMWnYeq7TupHYaZCP6aXcDfqhE5A27jve20J0+G3NB20IS0cMwraON6KkrRdpBMLD+Gtj6M/Sm81eS66MhSdvWs3ir3MMDVccpTDvShOsWJaRGfmJBnLT1RY5iK/FYUhdbM3u90oAedtDErGwEX5nswFNmyJ2KpRfpIChcENTGQiqoZINFWUVS0X+Cvg6in06RFXENiwlUrGOgQuODoF21lDN2tENCURKkm2dOEA4j2N9pvEa+TlIU6RiGeKRNTly7Vb1iZ4Pv4bfPws+v3Ix2OI4AY+BR9Tl7Q00jKllqK2gEzRDVshOGyrJbOWBZVPRSdw9qLQ2U3YT+AXsPAnMP4c+qXIOGhc6plMwWPdXqPqoc91SZeGPv8JMJ9H3zfBXKIu9XfA3p6fuEPPV21jY1m28cyAZl8jtQ9AlBdy8wBEMW1Scad5nvPgxdw8GJNfoXqOnwc4Nw/GRG1UQyO0EbNsHrxcrKM6Zrl2r60jNg9eyc2DMclzA59CHfHmwau5eZClpEjlCmEuOrZCRlzWzwOLaMZoHlwos8xH5rbt0ktG8t0E+V5Dn+UKEApIJaUnEbXctkE2mLFsByESEWVJEmXDEolkCncg4uvo2yYRG5kuQxolzPwmFpioTZhri1q/3QK/SeiLXN+eLPAp+K1EJRb+gscS9GuJS5WnzrGGq1XssCkT1VSHZvsZUFV0twlqbVMuPaWuLz8A0nX0W550xVbk8gMNsB9XzVMgXRMVXdQs0dBFbwCbou+2vKTb8ntiFDhhSrtiSFP4jLN1tR1HUZot2mahscqKrSq8tHm6sBiHs+sIfKiCShRLGarwD6hgo4d5FRRbK58whFET0CRxOhROmR51UhiRGk59+KGNV7mNqAn+mnAfEngD3WuSwOzRSIbDycYrUQTnVDjAfHmSbDvOkhjV9X1wwmV0r+gE/nMXp6/CC4MopnUAE239/8cArAu9WexCdeKwbOHG2PFdmh1CF7HfgWWMXZiBcwM0S2OfwjGk48tYEW4DDTPoVo4GYthaecQo2hkWhAwrvqXBSQu7eN70P8KbZ9GdnB9YauVRkaU23vQFgOzyUTXFMEcb4ZXCRliLUtt88gB1nYcR/XaF6HIJK2fZefJplol+sLCwsLCwsLCwsLCwsKdCdHkRz1KbmGhD0nNEL1SI5qKcmOhrFaIrONY5OXqxQnT5KlBYahMTbclmjuilCtFclBMTvVIhuoyjyudE9PtFok1bKne1LLVJidYky7JGreODItF1KCcm+nqRaMApLy0q+x/KWS0t41rHhxWiy10tS21ioomev9o/qhDNRTkR0ew4+bhwnBAguoLDhmHhKu51HC/wD++TPFXCDxBxA93Oz7C6iI2Ok/+QRnvMv3NHm5J6FgAA"

    @Test("a gzip trailer that lies about the size does not decide the allocation (fuzz finding)")
    func lyingGzipTrailer() throws {
        let bytes = try #require(Data(base64Encoded: Self.lyingGzipTrailer))
        _ = try? bytes.withUnsafeBytes { try RecordBatch(parsing: $0) }
        // A trailer may claim at most what deflate can expand to: 1032 times the input.
        var claim = [UInt8](repeating: 0, count: 100)
        claim[0] = 0x1f
        claim[1] = 0x8b
        claim.replaceSubrange(96..<100, with: [0xff, 0xff, 0xff, 0xff])
        #expect(claim.withUnsafeBytes { Gzip.initialCapacity(for: $0) } == 100 * 1032 + 64)
        // An honest trailer is still the first guess.
        let text = Array(String(repeating: "weir ", count: 10_000).utf8)
        let compressed = ByteWriter()
        try text.withUnsafeBytes { try Gzip.compress($0, level: 1, into: compressed) }
        let framed = Array(UnsafeRawBufferPointer(start: compressed.pointer, count: compressed.count))
        #expect(framed.withUnsafeBytes { Gzip.initialCapacity(for: $0) } == text.count + 1)
        #expect(try framed.withUnsafeBytes { try Gzip.decompress($0) } == text)
    }

    @Test("an appended batch must number its records 0…n-1")
    func externalBatchCounts() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let partition = try log.createTopic("t").partitions[0]
        // lastOffsetDelta claims 2^31 - 1 offsets for one record.
        #expect(throws: WeirLogError.self) { try partition.append([Self.batch(lastOffsetDelta: Int32.max)]) }
        try partition.append([Self.batch()])
        #expect(try partition.endOffset == 1)
        try log.close()
    }

    @Test("a dump of a batch with a wrapping producer sequence does not trap")
    func wrappingSequence() throws {
        let directory = TemporaryDirectory()
        var bytes = try RecordBatchBuilder.encode(
            [Record(value: bytes("a"), timestamp: 1), Record(value: bytes("b"), timestamp: 2)], codec: .none)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Int32.max.bigEndian, toByteOffset: 53, as: Int32.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[21...]))
            raw.storeBytes(of: crc.bigEndian, toByteOffset: 17, as: UInt32.self)
        }
        let file = directory.path + "/00000000000000000000.log"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        var lines: [String] = []
        #expect(try SegmentDump.dump(path: file) { lines.append($0) })
        #expect(lines.contains { $0.contains("lastSequence: -2147483648") })
    }

    /// A cleanly closed topic with ten 100-record batches in one segment.
    func cleanTopic() throws -> TemporaryDirectory {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("t", config: TopicConfig(partitions: 1, flush: .pagecache))
        for b in 0..<10 {
            try topic.append(
                (0..<100).map { Record(value: bytes("b\(b) r\($0) " + String(repeating: "y", count: 60)), timestamp: currentTimeMillis()) },
                partition: 0)
        }
        try log.close()
        return directory
    }

    @Test("a log cut shorter than its index is recovered even after a clean stop; offsets are not reused")
    func logShorterThanIndex() throws {
        let directory = try cleanTopic()
        let segment = directory.path + "/topics/t/0/00000000000000000000.log"
        #expect(try FileSystem.fileSize(directory.path + "/topics/t/0/00000000000000000000.index") > 0)
        #expect(truncate(segment, 5000) == 0)
        let log = try EmbeddedLog(directory: directory.path)
        let partition = try log.topic("t").partitions[0]
        let kept = try readAll(try log.topic("t"))
        #expect(try partition.endOffset == Int64(kept.count))
        #expect(kept.map(\.offset) == Array(0..<Int64(kept.count)))
        let base = try partition.append([
            try RecordBatchBuilder.encode([Record(value: bytes("next"), timestamp: currentTimeMillis())], codec: .none)
        ])
        #expect(base == Int64(kept.count))
        try log.close()
        #expect(try LogVerifier(directory: directory.path).verify().problems.isEmpty)
    }

    @Test("an index entry pointing into the middle of a batch is rebuilt, not followed")
    func indexIntoGarbage() throws {
        let directory = try cleanTopic()
        let index = directory.path + "/topics/t/0/00000000000000000000.index"
        // Entry: relative offset 150 at byte position 7 (inside the first batch).
        var entry = [UInt8](repeating: 0, count: 8)
        entry.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Int32(150).bigEndian, toByteOffset: 0, as: Int32.self)
            raw.storeBytes(of: Int32(7).bigEndian, toByteOffset: 4, as: Int32.self)
        }
        try Data(entry).write(to: URL(fileURLWithPath: index))
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.topic("t")
        #expect(try readAll(topic).count == 1000)
        #expect(try topic.partitions[0].fetch(from: 555).bytes.isEmpty == false)
        try log.close()
        #expect(try LogVerifier(directory: directory.path).verify().problems.isEmpty)
    }

    @Test("under flush always, readers see an append only once it is fsynced")
    func highWatermarkFollowsFsync() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let partition = try log.createTopic("t", config: TopicConfig(partitions: 1, flush: .always)).partitions[0]
        let base = try partition.append([try RecordBatchBuilder.encode([Record(value: bytes("durable"), timestamp: 1)], codec: .none)])
        // append returned, so the fsync happened and the record is visible.
        #expect(try base == 0 && partition.endOffset == 1)
        #expect(try partition.fetch(from: 0).bytes.isEmpty == false)
        try log.close()
    }
}
