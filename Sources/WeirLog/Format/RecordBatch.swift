/// A record batch read from disk: its header, checked, and its records, decompressed.
public struct RecordBatch: Sendable {
    public let header: RecordBatchHeader
    /// The records section: the bytes after the header, decompressed.
    private let body: [UInt8]

    public var codec: CompressionCodec { (try? CompressionCodec(attributes: header.attributes)) ?? .none }

    /// Checks length, magic and CRC of the batch at the start of `bytes`, then decompresses it.
    /// `bytes` may hold more than one batch; only the first is read.
    public init(parsing bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count >= RecordBatchHeader.size else { throw RecordBatchError.truncated }
        let header = try RecordBatchHeader(parsing: bytes)
        try header.validateShape()
        guard bytes.count >= header.totalSize else { throw RecordBatchError.truncated }
        let batch = UnsafeRawBufferPointer(rebasing: bytes[0..<header.totalSize])
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.attributesOffset...]))
        guard computed == header.crc else { throw RecordBatchError.crcMismatch(stored: header.crc, computed: computed) }
        let payload = UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...])
        switch try CompressionCodec(attributes: header.attributes) {
        case .none: body = Array(payload)
        case .gzip: body = try Gzip.decompress(payload)
        }
        self.header = header
    }

    /// Calls `body` with each record's fields, without copying them.
    /// The buffers are valid only inside the call.
    public func forEachRecord(_ visit: (RecordView) throws -> Void) throws {
        try body.withUnsafeBytes { bytes in
            var reader = ByteReader(bytes)
            do {
                var previousDelta: Int64 = -1
                for _ in 0..<Int(header.recordsCount) {
                    let length = try reader.readVarint()
                    guard length >= 0, Int64(reader.remaining) >= length else { throw ByteReader.Truncated() }
                    let end = reader.position + Int(length)
                    _ = try reader.readBigEndian(Int8.self)
                    let timestampDelta = try reader.readVarint()
                    let offsetDelta = try reader.readVarint()
                    guard offsetDelta > previousDelta, offsetDelta <= Int64(header.lastOffsetDelta) else {
                        throw ByteReader.Malformed(reason: "record offset delta \(offsetDelta) is out of order or beyond the batch")
                    }
                    previousDelta = offsetDelta
                    let key = try reader.readLengthPrefixed()
                    let value = try reader.readLengthPrefixed()
                    let headerCount = try reader.readVarint()
                    guard headerCount >= 0, headerCount <= Int64(reader.remaining) else {
                        throw ByteReader.Malformed(reason: "header count \(headerCount)")
                    }
                    let headersStart = reader.position
                    for _ in 0..<headerCount {
                        _ = try reader.readLengthPrefixed()
                        _ = try reader.readLengthPrefixed()
                    }
                    guard reader.position == end else {
                        throw ByteReader.Malformed(reason: "record length \(length) does not match its fields")
                    }
                    let view = RecordView(
                        offset: header.baseOffset + offsetDelta,
                        timestamp: header.baseTimestamp &+ timestampDelta,
                        key: key,
                        value: value,
                        headerCount: Int(headerCount),
                        headerBytes: UnsafeRawBufferPointer(rebasing: bytes[headersStart..<end])
                    )
                    try visit(view)
                }
            } catch is ByteReader.Truncated {
                throw RecordBatchError.malformedRecords("a record runs past the end of the batch")
            } catch let error as ByteReader.Malformed {
                throw RecordBatchError.malformedRecords(error.reason)
            }
            guard reader.remaining == 0 else {
                throw RecordBatchError.malformedRecords("\(reader.remaining) bytes left after \(header.recordsCount) records")
            }
        }
    }

    /// The records, copied out.
    public func records() throws -> [(offset: Int64, record: Record)] {
        var result: [(offset: Int64, record: Record)] = []
        result.reserveCapacity(Int(header.recordsCount))
        try forEachRecord { view in result.append((view.offset, view.record)) }
        return result
    }
}

/// One record inside a batch, borrowed: valid only inside `forEachRecord`'s closure.
public struct RecordView {
    public let offset: Int64
    public let timestamp: Int64
    public let key: UnsafeRawBufferPointer?
    public let value: UnsafeRawBufferPointer?
    public let headerCount: Int
    let headerBytes: UnsafeRawBufferPointer

    public var headers: [RecordHeader] {
        var reader = ByteReader(headerBytes)
        var result: [RecordHeader] = []
        result.reserveCapacity(headerCount)
        for _ in 0..<headerCount {
            // Already validated by forEachRecord.
            let name = (try? reader.readLengthPrefixed()) ?? nil
            let value = (try? reader.readLengthPrefixed()) ?? nil
            result.append(
                RecordHeader(
                    key: name.map { String(decoding: $0, as: UTF8.self) } ?? "",
                    value: value.map { Array($0) }
                ))
        }
        return result
    }

    /// An owned copy.
    public var record: Record {
        Record(key: key.map { Array($0) }, value: value.map { Array($0) }, timestamp: timestamp, headers: headers)
    }
}
