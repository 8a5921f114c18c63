import CZlib
import Testing

@testable import WeirLog

/// Message sets of the formats before record batches (Produce v0–2), laid out by hand as
/// the Kafka protocol guide describes them, converted into records.
@Suite struct LegacyMessageSetTests {
    /// One message of `magic` 0 or 1 in a set entry (offset, size, message).
    static func entry(
        magic: Int8, attributes: Int8 = 0, timestamp: Int64 = 0, key: String?, value: [UInt8]?, offset: Int64 = 0, badCRC: Bool = false
    ) -> [UInt8] {
        var body: [UInt8] = [UInt8(bitPattern: magic), UInt8(bitPattern: attributes)]
        if magic == 1 { body += bigEndian(timestamp) }
        for field in [key.map { Array($0.utf8) }, value] {
            if let field {
                body += bigEndian(Int32(field.count)) + field
            } else {
                body += bigEndian(Int32(-1))
            }
        }
        var crc = UInt32(body.withUnsafeBytes { crc32(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count)) })
        if badCRC { crc ^= 1 }
        let message = bigEndian(crc) + body
        return bigEndian(offset) + bigEndian(Int32(message.count)) + message
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let output = ByteWriter()
        try bytes.withUnsafeBytes { try Gzip.compress($0, level: 6, into: output) }
        return output.toArray()
    }

    @Test func messagesOfBothMagicsBecomeRecords() throws {
        let set =
            Self.entry(magic: 0, key: "k0", value: Array("v0 message".utf8))
            + Self.entry(magic: 1, timestamp: 1_600_000_000_123, key: nil, value: Array("v1 message".utf8), offset: 1)
            + Self.entry(magic: 1, attributes: 0x08, timestamp: 5, key: "appended", value: nil, offset: 2)
        let groups = try LegacyMessageSet.groups(from: set, now: 1_700_000_000_000)
        #expect(groups.map(\.codec) == [.none])
        #expect(
            groups.first?.records == [
                Record(key: Array("k0".utf8), value: Array("v0 message".utf8), timestamp: 1_700_000_000_000),
                Record(key: nil, value: Array("v1 message".utf8), timestamp: 1_600_000_000_123),
                // Log-append time (attributes bit 3): the broker's clock, not the producer's.
                Record(key: Array("appended".utf8), value: nil, timestamp: 1_700_000_000_000),
            ])
    }

    @Test(arguments: [Int8(0), 1])
    func aGzipWrapperGivesItsInnerMessages(magic: Int8) throws {
        let inner = (0..<20).flatMap {
            Self.entry(
                magic: magic, timestamp: 1_600_000_000_000 + Int64($0), key: "k\($0)", value: Array("inner \($0)".utf8), offset: Int64($0))
        }
        let set = Self.entry(magic: magic, attributes: 1, timestamp: 1_600_000_000_019, key: nil, value: try Self.gzip(inner), offset: 19)
        let groups = try LegacyMessageSet.groups(from: set, now: 42)
        #expect(groups.map(\.codec) == [.gzip])
        let records = groups.flatMap(\.records)
        #expect(records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == (0..<20).map { "inner \($0)" })
        #expect(records.map(\.key) == (0..<20).map { Array("k\($0)".utf8) })
        #expect(records.map(\.timestamp) == (0..<20).map { magic == 1 ? 1_600_000_000_000 + Int64($0) : 42 })
    }

    @Test func badSetsAreRefusedWithTheReason() throws {
        let good = Self.entry(magic: 1, key: "k", value: [1, 2, 3])
        func refusal(_ bytes: [UInt8]) -> String {
            do {
                _ = try LegacyMessageSet.groups(from: bytes, now: 0, maxBytes: 100, maxRecords: 5)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(Self.entry(magic: 1, key: "k", value: [1, 2, 3], badCRC: true)).contains("CRC"))
        #expect(refusal(Array(good.dropLast(2))).contains("truncated"))
        #expect(refusal(good + Array(good.prefix(10))).contains("truncated"))
        #expect(refusal(Self.entry(magic: 2, key: "k", value: [1])).contains("magic 2"))
        // Snappy (2): not a codec Weir stores.
        #expect(refusal(Self.entry(magic: 1, attributes: 2, key: nil, value: [1])).contains("codec 2"))
        // Bytes after the value, inside the message's size (and its CRC): refused as Kafka does.
        var padded = Self.entry(magic: 1, key: "k", value: [1, 2, 3])
        padded.append(0)
        padded.replaceSubrange(8..<12, with: Self.bigEndian(Int32(padded.count - 12)))
        let body = Array(padded[16...])
        let crc = UInt32(body.withUnsafeBytes { crc32(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count)) })
        padded.replaceSubrange(12..<16, with: Self.bigEndian(crc))
        #expect(refusal(padded).contains("1 bytes after the message's value"))
        // A few compressed bytes may not make many records: the limits hold inside a wrapper.
        let many = (0..<6).flatMap { _ in Self.entry(magic: 1, key: nil, value: [1]) }
        #expect(refusal(Self.entry(magic: 1, attributes: 1, key: nil, value: try Self.gzip(many))).contains("more than 5 records"))
        let large = Self.entry(magic: 1, key: nil, value: [UInt8](repeating: 7, count: 101))
        #expect(refusal(Self.entry(magic: 1, attributes: 1, key: nil, value: try Self.gzip(large))).contains("100 bytes"))
        let nested = Self.entry(
            magic: 1, attributes: 1, key: nil,
            value: try Self.gzip(Self.entry(magic: 1, attributes: 1, key: nil, value: try Self.gzip(good))))
        #expect(refusal(nested).contains("inside a compressed message"))
    }

    @Test func groupsFollowTheCodecsAndAWrappersTimeType() throws {
        let plain = Self.entry(magic: 1, timestamp: 1_600_000_000_000, key: nil, value: Array("plain".utf8))
        let inner = Self.entry(magic: 1, timestamp: 1_600_000_000_001, key: nil, value: Array("inner".utf8))
        // A wrapper of log-append time (bit 3): its inner messages get the broker's clock.
        let appended = Self.entry(magic: 1, attributes: 0x09, timestamp: 5, key: nil, value: try Self.gzip(inner))
        let created = Self.entry(magic: 1, attributes: 0x01, timestamp: 5, key: nil, value: try Self.gzip(inner))
        let groups = try LegacyMessageSet.groups(from: plain + plain + appended + created + plain, now: 77)
        #expect(groups.map(\.codec) == [.none, .gzip, .gzip, .none])
        #expect(groups.map(\.records.count) == [2, 1, 1, 1])
        #expect(groups.map { $0.records[0].timestamp } == [1_600_000_000_000, 77, 1_600_000_000_001, 1_600_000_000_000])
    }
}
