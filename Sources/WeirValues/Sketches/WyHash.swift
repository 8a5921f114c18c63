/// wyhash (final version 4, Wang Yi, public domain): the 64-bit hash the sketches use.
///
/// Sketch state is checkpointed and restored across processes, so the hash of a value must
/// be the same in every run — Swift's `Hasher` is seeded per process and cannot be used.
/// wyhash is fast on the short keys logs are made of (an IP, a user id: one 128-bit
/// multiply for up to 16 bytes) and passes SMHasher. Little-endian reads, as the reference
/// on the platforms Weir runs on; the results match the reference's test values.
public enum WyHash {
    /// The reference's default secret (`_wyp`), as constants the optimiser folds in.
    @usableFromInline enum Secret {
        @usableFromInline static var s0: UInt64 { 0xa076_1d64_78bd_642f }
        @usableFromInline static var s1: UInt64 { 0xe703_7ed1_a0b4_28db }
        @usableFromInline static var s2: UInt64 { 0x8ebc_6af0_9c88_c6e3 }
        @usableFromInline static var s3: UInt64 { 0x5899_65cc_7537_4cc3 }
    }

    /// The hash of `bytes` with `seed`, as the reference's `wyhash(key, len, seed, _wyp)`.
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let length = bytes.count
        var seed = seed ^ mix(seed ^ Secret.s0, Secret.s1)
        var a: UInt64
        var b: UInt64
        if length <= 16 {
            if length >= 4 {
                let shift = (length >> 3) << 2
                a = read4(bytes, 0) << 32 | read4(bytes, shift)
                b = read4(bytes, length - 4) << 32 | read4(bytes, length - 4 - shift)
            } else if length > 0 {
                a = read3(bytes, length)
                b = 0
            } else {
                a = 0
                b = 0
            }
        } else {
            var offset = 0
            var remaining = length
            if remaining > 48 {
                var see1 = seed
                var see2 = seed
                repeat {
                    seed = mix(read8(bytes, offset) ^ Secret.s1, read8(bytes, offset + 8) ^ seed)
                    see1 = mix(read8(bytes, offset + 16) ^ Secret.s2, read8(bytes, offset + 24) ^ see1)
                    see2 = mix(read8(bytes, offset + 32) ^ Secret.s3, read8(bytes, offset + 40) ^ see2)
                    offset += 48
                    remaining -= 48
                } while remaining > 48
                seed ^= see1 ^ see2
            }
            while remaining > 16 {
                seed = mix(read8(bytes, offset) ^ Secret.s1, read8(bytes, offset + 8) ^ seed)
                offset += 16
                remaining -= 16
            }
            a = read8(bytes, offset + remaining - 16)
            b = read8(bytes, offset + remaining - 8)
        }
        a ^= Secret.s1
        b ^= seed
        let product = a.multipliedFullWidth(by: b)
        return mix(product.low ^ Secret.s0 ^ UInt64(length), product.high ^ Secret.s1)
    }

    /// The hash of a 64-bit word, as `hash` of its eight little-endian bytes (no buffer).
    @inlinable
    public static func hash(word: UInt64, seed: UInt64 = 0) -> UInt64 {
        let seed = seed ^ mix(seed ^ Secret.s0, Secret.s1)
        let a = (word << 32 | word >> 32) ^ Secret.s1
        let b = word ^ seed
        let product = a.multipliedFullWidth(by: b)
        return mix(product.low ^ Secret.s0 ^ 8, product.high ^ Secret.s1)
    }

    /// The 128-bit product's halves folded together (the reference's `_wymix`).
    @inlinable static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.low ^ product.high
    }

    @inlinable static func read8(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inlinable static func read4(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    @inlinable static func read3(_ bytes: UnsafeRawBufferPointer, _ length: Int) -> UInt64 {
        UInt64(bytes[0]) << 16 | UInt64(bytes[length >> 1]) << 8 | UInt64(bytes[length - 1])
    }
}
