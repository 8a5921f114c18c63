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
    /// Records from one set may hold at most this many key and value bytes, and be at
    /// most `maxRecords`: a few kilobytes of gzip cannot make the broker allocate gigabytes.
    public static let maxBytes = 64 << 20
    public static let maxRecords = 1_000_000

    /// Records that become one record batch: a run of uncompressed messages (`none`), or
    /// the inner messages of one compressed message (its codec).
    public struct Group: Sendable, Equatable {
        public var records: [Record]
        public var codec: CompressionCodec
    }

    /// The records of `bytes`, in order, in groups of one codec. Messages without a
    /// timestamp (v0), and those of log-append time (or inside a wrapper of log-append
    /// time), get `now`.
    public static func groups(from bytes: [UInt8], now: Int64, maxBytes: Int = maxBytes, maxRecords: Int = maxRecords) throws -> [Group] {
        var reading = Reading(now: now, maxBytes: maxBytes, maxRecords: maxRecords)
        try bytes.withUnsafeBytes { try reading.readSet($0, wrapper: nil) }
        return reading.groups
    }

    private struct Reading {
        let now: Int64
        let maxBytes: Int
        let maxRecords: Int
        var groups: [Group] = []
        var bytes = 0
        var records = 0

        /// The wrapper's attributes when reading a compressed message's inner set.
        mutating func readSet(_ buffer: UnsafeRawBufferPointer, wrapper: Int8?) throws {
            var reader = ByteReader(buffer)
            while reader.remaining > 0 {
                let start = reader.position
                do {
                    _ = try reader.readBigEndian(Int64.self)
                    let size = Int(try reader.readBigEndian(Int32.self))
                    guard size >= 14 else { throw corrupt(start, "a message of \(size) bytes, shorter than any") }
                    try readMessage(try reader.readSlice(size), at: start, wrapper: wrapper)
                } catch is ByteReader.Truncated {
                    throw corrupt(start, "a truncated message")
                }
            }
        }

        private mutating func readMessage(_ message: UnsafeRawBufferPointer, at position: Int, wrapper: Int8?) throws {
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
                // Bit 3: the topic's log-append time (now) rather than the producer's create
                // time; a wrapper's says so for its inner messages.
                if attributes & 0x08 == 0, (wrapper ?? 0) & 0x08 == 0, stamped >= 0 { timestamp = stamped }
            }
            let key = try readBytes(&reader)
            let value = try readBytes(&reader)
            guard reader.remaining == 0 else { throw corrupt(position, "\(reader.remaining) bytes after the message's value") }
            let bits = Int(attributes & 0x07)
            guard bits != 0 else {
                bytes += (key?.count ?? 0) + (value?.count ?? 0)
                records += 1
                guard bytes <= maxBytes, records <= maxRecords else {
                    throw corrupt(position, "the set holds more than \(maxRecords) records or \(maxBytes) bytes")
                }
                // Inside a wrapper, into its group; outside, into the run of uncompressed ones.
                if wrapper == nil, groups.last?.codec != CompressionCodec.none { groups.append(Group(records: [], codec: .none)) }
                groups[groups.count - 1].records.append(
                    Record(key: key.map(Array.init), value: value.map(Array.init), timestamp: timestamp))
                return
            }
            let codec = try CompressionCodec(attributes: Int16(bits))
            guard wrapper == nil, let value else {
                throw corrupt(position, "a compressed message inside a compressed message, or without a value")
            }
            let inner = try Gzip.decompress(value)
            groups.append(Group(records: [], codec: codec))
            try inner.withUnsafeBytes { try readSet($0, wrapper: attributes) }
            if groups.last?.records.isEmpty == true { groups.removeLast() }
        }

        private func readBytes(_ reader: inout ByteReader) throws -> UnsafeRawBufferPointer? {
            let length = Int(try reader.readBigEndian(Int32.self))
            if length == -1 { return nil }
            return try reader.readSlice(length)
        }

        private func corrupt(_ position: Int, _ reason: String) -> WeirLogError {
            .corruptBatch(file: "message set", position: Int64(position), reason: reason)
        }
    }
}
