import Foundation

/// The keys of a lookup table: from a key's UTF-8 bytes to its row, in one open-addressing
/// hash table whose keys are stored back to back in one byte array.
///
/// A `[String: Int]` would make a `String` of every record's key (an allocation for keys
/// of more than 15 bytes, and a decode for a field still held as bytes); this one is
/// probed with the bytes where they are (a field's slice, a `String`'s own storage, a
/// number formatted on the stack), so a lookup allocates nothing.
struct LookupIndex: Sendable {
    /// Where each key starts in `bytes`; `starts[i + 1]` is where key `i` ends.
    private var starts: [Int] = [0]
    private var bytes: [UInt8] = []
    /// By slot: the high 32 bits of the key's hash (compared before its bytes) and, in the
    /// low 32, 1 + the key's row; 0 for an empty slot. One word a slot, so a probe touches
    /// one cache line, not two. The slot count is a power of two at least twice the key
    /// count, so a probe ends at an empty slot soon.
    private var slots: [UInt64]
    private var mask: Int

    init(capacity: Int) {
        var size = 8
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { starts.count - 1 }

    /// Adds `key` as the next row; the row that already has it when it is there (nothing added).
    /// An index filled to its capacity doubles its slots (a table topic's keys are not
    /// counted before they come; a file's are, so its index never grows).
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = Self.hash(key)
        if let row = row(key, hash: hash) { return row }
        precondition(count < Int(UInt32.max) - 1, "LookupIndex filled beyond 2^32 keys")
        if (count + 1) * 2 > slots.count { grow() }
        place(hash, row: count)
        bytes.append(contentsOf: key)
        starts.append(bytes.count)
        return nil
    }

    /// The bytes of the key of `row`.
    func key(_ row: Int) -> ArraySlice<UInt8> { bytes[starts[row]..<starts[row + 1]] }

    private mutating func place(_ hash: UInt64, row: Int) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = (hash & Self.hashBits) | UInt64(row + 1)
    }

    /// Twice the slots, every key placed again (its hash made again from its bytes).
    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for row in 0..<count {
            let hash = bytes.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[starts[row]..<starts[row + 1]])) }
            place(hash, row: row)
        }
    }

    /// The row of `key`, nil when the table has no such key.
    @inline(__always)
    func row(_ key: UnsafeBufferPointer<UInt8>) -> Int? { row(key, hash: Self.hash(key)) }

    private static let hashBits: UInt64 = 0xFFFF_FFFF_0000_0000

    private func row(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
        slots.withUnsafeBufferPointer { slots in
            var slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let word = slots[slot]
                if word == 0 { return nil }
                let row = Int(truncatingIfNeeded: word & 0xFFFF_FFFF) - 1
                if word & Self.hashBits == hash & Self.hashBits && matches(row, key) { return row }
                slot = (slot + 1) & mask
            }
        }
    }

    private func matches(_ row: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[row]
        let end = starts[row + 1]
        guard end - start == key.count else { return false }
        return bytes.withUnsafeBufferPointer { stored in
            key.isEmpty || memcmp(stored.baseAddress! + start, key.baseAddress!, key.count) == 0
        }
    }

    /// FNV-1a over the bytes, then MurmurHash3's finaliser so that keys differing only in
    /// their last bytes (`10.0.0.1`, `10.0.0.2`) spread over the low bits the mask keeps.
    /// Not a keyed hash: the keys that fill the table come from the table file, which the
    /// pipeline trusts; records only probe it.
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }
}
