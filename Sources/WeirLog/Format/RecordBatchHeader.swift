/// The 61-byte header of a Kafka RecordBatch v2 (magic 2), field for field.
///
/// ```
/// baseOffset i64 @0 · batchLength i32 @8 · partitionLeaderEpoch i32 @12 · magic i8 @16
/// crc u32 @17 · attributes i16 @21 · lastOffsetDelta i32 @23 · baseTimestamp i64 @27
/// maxTimestamp i64 @35 · producerId i64 @43 · producerEpoch i16 @51 · baseSequence i32 @53
/// recordsCount i32 @57 · records @61
/// ```
/// The CRC-32C covers attributes to the end of the batch, so the base offset can be
/// assigned at append time without recomputing it.
public struct RecordBatchHeader: Sendable, Hashable {
    public static let size = 61
    /// Bytes of the header that precede `batchLength`'s count (baseOffset and batchLength).
    public static let logOverhead = 12
    public static let crcOffset = 17
    public static let attributesOffset = 21

    public var baseOffset: Int64
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordsCount: Int32

    /// Total bytes of the batch on disk, header included.
    public var totalSize: Int { Int(batchLength) + Self.logOverhead }
    public var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }
    public var nextOffset: Int64 { lastOffset + 1 }
    public var isTransactional: Bool { attributes & 0x10 != 0 }
    public var isControl: Bool { attributes & 0x20 != 0 }
    public var timestampType: String { attributes & 0x08 != 0 ? "LogAppendTime" : "CreateTime" }

    /// Parses a header; `bytes` must hold at least 61 bytes.
    public init(parsing bytes: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(bytes)
        do {
            baseOffset = try reader.readBigEndian()
            batchLength = try reader.readBigEndian()
            partitionLeaderEpoch = try reader.readBigEndian()
            magic = try reader.readBigEndian()
            crc = try reader.readBigEndian()
            attributes = try reader.readBigEndian()
            lastOffsetDelta = try reader.readBigEndian()
            baseTimestamp = try reader.readBigEndian()
            maxTimestamp = try reader.readBigEndian()
            producerId = try reader.readBigEndian()
            producerEpoch = try reader.readBigEndian()
            baseSequence = try reader.readBigEndian()
            recordsCount = try reader.readBigEndian()
        } catch {
            throw RecordBatchError.truncated
        }
    }

    /// Checks what can be checked without the body: magic and a plausible length.
    public func validateShape() throws {
        guard magic == 2 else { throw RecordBatchError.badMagic(magic) }
        guard Int(batchLength) >= Self.size - Self.logOverhead else {
            throw RecordBatchError.badLength(Int(batchLength))
        }
        guard lastOffsetDelta >= 0, recordsCount >= 0, Int64(recordsCount) <= Int64(lastOffsetDelta) + 1 else {
            throw RecordBatchError.badCounts(lastOffsetDelta: lastOffsetDelta, records: recordsCount)
        }
        guard baseOffset >= 0, baseOffset <= Int64.max - Int64(lastOffsetDelta) - 1 else {
            throw RecordBatchError.badBaseOffset(baseOffset)
        }
    }
}

/// Why a batch could not be read; wrapped with file and position by the caller.
public enum RecordBatchError: Error, Equatable, CustomStringConvertible {
    case truncated
    case badMagic(Int8)
    case badLength(Int)
    case badCounts(lastOffsetDelta: Int32, records: Int32)
    case badBaseOffset(Int64)
    case crcMismatch(stored: UInt32, computed: UInt32)
    case malformedRecords(String)

    public var description: String {
        switch self {
        case .truncated: return "batch is cut short"
        case .badMagic(let magic): return "magic byte is \(magic), expected 2 (RecordBatch v2)"
        case .badLength(let length): return "batch length \(length) is below the 49-byte minimum"
        case .badCounts(let delta, let records): return "impossible counts (lastOffsetDelta \(delta), records \(records))"
        case .badBaseOffset(let offset): return "impossible base offset \(offset)"
        case .crcMismatch(let stored, let computed):
            return "CRC-32C mismatch (stored \(hex(stored)), computed \(hex(computed)))"
        case .malformedRecords(let reason): return "records do not parse: \(reason)"
        }
    }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
