import CCRC32C

/// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2.
/// Uses the CPU's CRC32 instruction where there is one.
public enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return weir_crc32c(crc, base, bytes.count)
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }
}
