import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// `appendValues` encodes a source's lines in one pass: it must give the bytes, and end a
/// batch where, appending one record at a time, a producer would.
@Suite("record batches: values appended in one pass")
struct AppendValuesTests {
    /// Values of every varint width that matters: empty, 1-byte and 2-byte lengths,
    /// 3-byte lengths, and offsets past 63 and 8,191 (where their varints grow).
    static func values(_ count: Int, seed: UInt64) -> [[UInt8]] {
        var random = SeededGenerator(seed: seed)
        let lengths = [0, 1, 63, 64, 200, 8_191, 8_192, 70_000]
        return (0..<count).map { i in
            let length = lengths[Int(random.next() % UInt64(lengths.count))] / (i % 7 == 0 ? 1 : 50)
            return (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
    }

    static func joined(_ values: [[UInt8]]) -> (bytes: [UInt8], ranges: [Range<Int>]) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for value in values {
            ranges.append(bytes.count..<bytes.count + value.count)
            bytes += value
        }
        return (bytes, ranges)
    }

    @Test("the batch is byte for byte the one appending each record gives", arguments: [1, 2, 130, 9_000])
    func sameBytes(count: Int) throws {
        let values = Self.values(count, seed: UInt64(count))
        let (bytes, ranges) = Self.joined(values)
        let oneByOne = RecordBatchBuilder()
        let inOnePass = RecordBatchBuilder()
        // A record before, so the deltas do not start at 0.
        for builder in [oneByOne, inOnePass] {
            [UInt8]("first".utf8).withUnsafeBytes { builder.append(key: nil, value: $0, timestamp: 1_000) }
        }
        for value in values { value.withUnsafeBytes { oneByOne.append(key: nil, value: $0, timestamp: 1_700_000_000_123) } }
        var appended = 0
        bytes.withUnsafeBytes { bytes in
            ranges.withUnsafeBufferPointer { ranges in
                appended = inOnePass.appendValues(bytes, ranges, timestamp: 1_700_000_000_123, upTo: .max)
            }
        }
        #expect(appended == count)
        #expect(inOnePass.count == oneByOne.count)
        let expected = try oneByOne.build(codec: .none)
        #expect(try inOnePass.build(codec: .none) == expected)
        let records = try expected.withUnsafeBytes { try RecordBatch(parsing: $0).records() }
        #expect(records.dropFirst().map(\.record.value) == values.map { Optional($0) })
    }

    @Test("it stops where a producer appending one by one would seal the batch")
    func stopsAtLimit() {
        let values = Self.values(500, seed: 7)
        let (bytes, ranges) = Self.joined(values)
        for limit in [1, 100, 5_000, 60_000] {
            // One by one: a record is appended while the batch holds fewer than `limit` bytes.
            let reference = RecordBatchBuilder()
            var expected = 0
            for value in values where reference.byteCount < limit {
                value.withUnsafeBytes { reference.append(key: nil, value: $0, timestamp: 5) }
                expected += 1
            }
            let builder = RecordBatchBuilder()
            let appended = bytes.withUnsafeBytes { bytes in
                ranges.withUnsafeBufferPointer { builder.appendValues(bytes, $0, timestamp: 5, upTo: limit) }
            }
            #expect(appended == expected, "limit \(limit)")
            #expect(builder.byteCount == reference.byteCount, "limit \(limit)")
        }
    }
}
