/// Builds one Kafka RecordBatch v2 from records, writing them straight into one buffer.
///
/// The base offset is left at 0: the partition assigns it at append time, which the
/// CRC allows because it covers only attributes onward. Not thread-safe; one per batch.
public final class RecordBatchBuilder {
    private let records = ByteWriter(capacity: 64 << 10)
    /// The last built batch; reused, so steady producing allocates nothing per batch.
    private let output = ByteWriter(capacity: 64 << 10)
    private var baseTimestamp: Int64 = 0
    private var maxTimestamp: Int64 = .min
    public private(set) var count: Int = 0

    public init() {}

    /// Bytes of encoded records so far (before compression).
    public var byteCount: Int { records.count }
    public var isEmpty: Bool { count == 0 }

    /// Appends one record; key or value `nil` is a null field.
    public func append(
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        timestamp: Int64,
        headers: [RecordHeader] = []
    ) {
        if count == 0 { baseTimestamp = timestamp }
        maxTimestamp = max(maxTimestamp, timestamp)
        let timestampDelta = timestamp &- baseTimestamp
        let offsetDelta = Int64(count)
        let keyLength = Int64(key?.count ?? -1)
        let valueLength = Int64(value?.count ?? -1)

        var bodySize = 1 + varintSize(timestampDelta) + varintSize(offsetDelta)
        bodySize += varintSize(keyLength) + max(0, Int(keyLength))
        bodySize += varintSize(valueLength) + max(0, Int(valueLength))
        bodySize += varintSize(Int64(headers.count))
        for header in headers {
            let keyBytes = header.key.utf8.count
            let valueBytes = Int64(header.value?.count ?? -1)
            bodySize += varintSize(Int64(keyBytes)) + keyBytes + varintSize(valueBytes) + max(0, Int(valueBytes))
        }

        records.reserve(bodySize + 10)
        records.writeVarint(Int64(bodySize))
        records.writeBigEndian(Int8(0))  // record attributes: unused in v2
        records.writeVarint(timestampDelta)
        records.writeVarint(offsetDelta)
        records.writeVarint(keyLength)
        if let key { records.write(key) }
        records.writeVarint(valueLength)
        if let value { records.write(value) }
        records.writeVarint(Int64(headers.count))
        for header in headers {
            var name = header.key
            name.withUTF8 { utf8 in
                records.writeVarint(Int64(utf8.count))
                records.write(UnsafeRawBufferPointer(utf8))
            }
            if let value = header.value {
                records.writeVarint(Int64(value.count))
                value.withUnsafeBytes { records.write($0) }
            } else {
                records.writeVarint(-1)
            }
        }
        count += 1
    }

    /// Appends records with no key and no headers, one per range of `bytes` (their
    /// values), all stamped `timestamp`, while fewer than `maxBytes` bytes were appended:
    /// the lines of a source's chunk, encoded in one pass (byte for byte what `append`
    /// encodes for each, and as many as appending one by one until the batch holds
    /// `maxBytes` more would take). Returns how many were appended: at least one, when
    /// `ranges` holds any.
    public func appendValues(
        _ bytes: UnsafeRawBufferPointer, _ ranges: UnsafeBufferPointer<Range<Int>>, timestamp: Int64, upTo maxBytes: Int
    ) -> Int {
        guard !ranges.isEmpty else { return 0 }
        let source = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: UInt8.self)
        if count == 0 { baseTimestamp = timestamp }
        maxTimestamp = max(maxTimestamp, timestamp)
        let timestampDelta = timestamp &- baseTimestamp
        let timestampSize = varintSize(timestampDelta)
        let start = records.count
        var base = records.pointer.assumingMemoryBound(to: UInt8.self)
        var out = base + start
        var end = base + records.capacity
        var offsetDelta = Int64(count)
        for range in ranges {
            guard base.distance(to: out) - start < maxBytes else { break }
            // A value and at most 32 bytes around it: six varints, most of them 1 or 2 bytes.
            if out.distance(to: end) < range.count + 32 {
                records.count = base.distance(to: out)
                records.reserve(range.count + 32)
                base = records.pointer.assumingMemoryBound(to: UInt8.self)
                out = base + records.count
                end = base + records.capacity
            }
            let valueLength = Int64(range.count)
            // Attributes 0, timestamp delta, offset delta, key length -1 (null), value
            // length, value, header count 0.
            let bodySize = 1 + timestampSize + varintSize(offsetDelta) + 1 + varintSize(valueLength) + range.count + 1
            out = writeVarint(Int64(bodySize), at: out)
            out[0] = 0
            out = writeVarint(timestampDelta, at: out + 1)
            out = writeVarint(offsetDelta, at: out)
            out[0] = 1  // zigzag(-1)
            out = writeVarint(valueLength, at: out + 1)
            out.update(from: source + range.lowerBound, count: range.count)
            out += range.count
            out[0] = 0
            out += 1
            offsetDelta += 1
        }
        records.count = base.distance(to: out)
        let appended = Int(offsetDelta) - count
        count += appended
        return appended
    }

    public func append(_ record: Record) {
        withOptionalBytes(record.key) { key in
            withOptionalBytes(record.value) { value in
                append(key: key, value: value, timestamp: record.timestamp, headers: record.headers)
            }
        }
    }

    /// Encodes the batch (compressing the records with `codec`) and resets the builder.
    public func build(codec: CompressionCodec, level: Int = 1) throws -> [UInt8] {
        Array(try buildInPlace(codec: codec, level: level).bytes)
    }

    /// Encodes the batch into the builder's own buffer and resets the records: the bytes
    /// stay valid until the next build. Returns them with their parsed header.
    func buildInPlace(codec: CompressionCodec, level: Int) throws -> (bytes: UnsafeRawBufferPointer, header: RecordBatchHeader) {
        precondition(count > 0, "an empty batch cannot be built")
        // Built or not, these records are done with: a failed builder must not carry them on.
        defer { reset() }
        let batch = output
        batch.reset()
        batch.writeZeros(RecordBatchHeader.size)
        switch codec {
        case .none: batch.write(records.bytes)
        case .gzip: try Gzip.compress(records.bytes, level: level, into: batch)
        }
        batch.setBigEndian(Int64(0), at: 0)
        batch.setBigEndian(Int32(batch.count - RecordBatchHeader.logOverhead), at: 8)
        batch.setBigEndian(Int32(0), at: 12)  // partitionLeaderEpoch
        batch.setBigEndian(Int8(2), at: 16)  // magic
        batch.setBigEndian(Int16(codec.rawValue), at: 21)
        batch.setBigEndian(Int32(count - 1), at: 23)
        batch.setBigEndian(baseTimestamp, at: 27)
        batch.setBigEndian(maxTimestamp, at: 35)
        batch.setBigEndian(Int64(-1), at: 43)  // producerId: no idempotent producer
        batch.setBigEndian(Int16(-1), at: 51)  // producerEpoch
        batch.setBigEndian(Int32(-1), at: 53)  // baseSequence
        batch.setBigEndian(Int32(count), at: 57)
        let crcRange = UnsafeRawBufferPointer(rebasing: batch.bytes[RecordBatchHeader.attributesOffset...])
        batch.setBigEndian(CRC32C.checksum(crcRange), at: RecordBatchHeader.crcOffset)
        return (batch.bytes, try RecordBatchHeader(parsing: batch.bytes))
    }

    public func reset() {
        records.reset()
        count = 0
        maxTimestamp = .min
    }

    /// Encodes `records` as one batch.
    public static func encode(_ records: some Sequence<Record>, codec: CompressionCodec, level: Int = 1) throws -> [UInt8] {
        let builder = RecordBatchBuilder()
        for record in records { builder.append(record) }
        return try builder.build(codec: codec, level: level)
    }
}

@inline(__always)
package func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    guard let bytes else { return try body(nil) }
    return try bytes.withUnsafeBytes { try body($0) }
}
