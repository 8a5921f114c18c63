/// A growable byte buffer for building record batches without per-record allocations.
///
/// Writes are big-endian (Kafka's network order) or zigzag varints.
final class ByteWriter {
    private(set) var pointer: UnsafeMutableRawPointer
    private(set) var capacity: Int
    var count: Int = 0

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        self.pointer = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { pointer.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }

    @inline(__always)
    func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        grown.copyMemory(from: pointer, byteCount: count)
        pointer.deallocate()
        pointer = grown
        capacity = newCapacity
    }

    func reset() { count = 0 }

    @inline(__always)
    func writeBigEndian<T: FixedWidthInteger>(_ value: T) {
        reserve(MemoryLayout<T>.size)
        pointer.storeBytes(of: value.bigEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    /// Overwrites a big-endian integer at `offset` (for header fields known only at the end).
    @inline(__always)
    func setBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        pointer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }

    @inline(__always)
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (pointer + count).copyMemory(from: base, byteCount: bytes.count)
        count += bytes.count
    }

    /// A zigzag varint (protobuf `sint64`), as Kafka's record fields use.
    @inline(__always)
    func writeVarint(_ value: Int64) {
        reserve(10)
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        let out = pointer.assumingMemoryBound(to: UInt8.self)
        while v >= 0x80 {
            out[count] = UInt8(truncatingIfNeeded: v) | 0x80
            count += 1
            v >>= 7
        }
        out[count] = UInt8(v)
        count += 1
    }

    func writeZeros(_ n: Int) {
        reserve(n)
        (pointer + count).initializeMemory(as: UInt8.self, repeating: 0, count: n)
        count += n
    }

    func toArray() -> [UInt8] { Array(bytes) }
}

/// Writes a zigzag varint at `out`; returns where it ends.
@inline(__always)
func writeVarint(_ value: Int64, at out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
    var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
    var out = out
    while v >= 0x80 {
        out[0] = UInt8(truncatingIfNeeded: v) | 0x80
        out += 1
        v >>= 7
    }
    out[0] = UInt8(v)
    return out + 1
}

/// The encoded size of a zigzag varint.
@inline(__always)
func varintSize(_ value: Int64) -> Int {
    var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
    var size = 1
    while v >= 0x80 {
        v >>= 7
        size += 1
    }
    return size
}
