/// Kafka's murmur2 (seed 0x9747b28c), as its Java client and kafka-python compute it,
/// so a keyed record lands on the partition a Kafka producer would choose.
public enum Murmur2 {
    public static func hash(_ data: UnsafeRawBufferPointer) -> Int32 {
        let length = data.count
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        let blocks = length / 4
        for i in 0..<blocks {
            var k = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = blocks * 4
        switch length & 3 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h = h &* m
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    public static func hash(_ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`).
    public static func toPositive(_ value: Int32) -> Int32 { value & 0x7fff_ffff }
}
