import CZlib

/// Kafka's message formats before record batches: a message set of messages v0 (magic 0)
/// and v1 (magic 1, with a timestamp), which Produce v0–2 carries. Weir stores only
/// RecordBatch v2, so a broker up-converts what an old producer sends into records (as
/// Kafka's own brokers do for old clients):
///
/// ```
/// message set: [offset int64, size int32, message]…
/// message:     crc int32 (CRC-32 of the rest), magic int8, attributes int8,
///              timestamp int64 (v1 only), key bytes, value bytes (int32 length, -1 null)
/// ```
///
/// A compressed message (attributes bits 0–2) is a wrapper whose value is an inner
/// message set, compressed; its records are the inner messages'. Offsets are the broker's
/// to give, so the ones in the set are ignored.
public enum LegacyMessageSet {
    /// The records of `bytes`, in order, and the codec they came with (the wrapper's, for a
    /// compressed set; `none` otherwise). Messages without a timestamp (v0), and those of
    /// log-append time, get `now`.
    public static func records(from bytes: [UInt8], now: Int64) throws -> (records: [Record], codec: CompressionCodec) {
        var records: [Record] = []
        var codec = CompressionCodec.none
        try bytes.withUnsafeBytes { buffer in
            try read(buffer, now: now, depth: 0, into: &records, codec: &codec)
        }
        return (records, codec)
    }

    private static func read(
        _ buffer: UnsafeRawBufferPointer, now: Int64, depth: Int, into records: inout [Record], codec: inout CompressionCodec
    ) throws {
        var reader = ByteReader(buffer)
        while reader.remaining > 0 {
            let start = reader.position
            do {
                _ = try reader.readBigEndian(Int64.self)
                let size = Int(try reader.readBigEndian(Int32.self))
                guard size >= 14 else { throw corrupt(start, "a message of \(size) bytes, shorter than any") }
                let message = try reader.readSlice(size)
                try readMessage(message, at: start, now: now, depth: depth, into: &records, codec: &codec)
            } catch is ByteReader.Truncated {
                throw corrupt(start, "a truncated message")
            }
        }
    }

    private static func readMessage(
        _ message: UnsafeRawBufferPointer, at position: Int, now: Int64, depth: Int, into records: inout [Record],
        codec: inout CompressionCodec
    ) throws {
        var reader = ByteReader(message)
        let crc = UInt32(bitPattern: try reader.readBigEndian(Int32.self))
        let covered = UnsafeRawBufferPointer(rebasing: message[4...])
        let computed = UInt32(crc32(0, covered.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(covered.count)))
        guard computed == crc else { throw corrupt(position, "message CRC \(crc) does not match its bytes (\(computed))") }
        let magic = try reader.readBigEndian(Int8.self)
        guard magic == 0 || magic == 1 else { throw corrupt(position, "message magic \(magic) in a message set") }
        let attributes = try reader.readBigEndian(Int8.self)
        var timestamp = now
        if magic == 1 {
            let stamped = try reader.readBigEndian(Int64.self)
            // Bit 3: the topic's log-append time (now) rather than the producer's create time.
            if attributes & 0x08 == 0, stamped >= 0 { timestamp = stamped }
        }
        let key = try readBytes(&reader)
        let value = try readBytes(&reader)
        let bits = Int(attributes & 0x07)
        guard bits != 0 else {
            records.append(Record(key: key.map(Array.init), value: value.map(Array.init), timestamp: timestamp))
            return
        }
        let wrapped = try CompressionCodec(attributes: Int16(bits))
        guard depth == 0, let value else { throw corrupt(position, "a compressed message inside a compressed message, or without a value") }
        codec = wrapped
        let inner = try Gzip.decompress(value)
        try inner.withUnsafeBytes { try read($0, now: now, depth: 1, into: &records, codec: &codec) }
    }

    private static func readBytes(_ reader: inout ByteReader) throws -> UnsafeRawBufferPointer? {
        let length = Int(try reader.readBigEndian(Int32.self))
        if length == -1 { return nil }
        return try reader.readSlice(length)
    }

    private static func corrupt(_ position: Int, _ reason: String) -> WeirLogError {
        .corruptBatch(file: "message set", position: Int64(position), reason: reason)
    }
}
