import SystemPackage

/// A segment's sparse offset index (`.index`): 8-byte entries of int32 offset relative
/// to the segment's base and int32 byte position of the batch holding it, as Kafka's.
///
/// Entries live in memory; new ones reach the file on `flush`. The file carries no
/// checksum, so after an unclean stop it is rebuilt from the log.
final class OffsetIndex {
    static let entrySize = 8
    let path: String
    let baseOffset: Int64
    private(set) var offsets: [Int32] = []
    private(set) var positions: [Int32] = []
    private var flushedCount = 0
    /// Written since the last fsync (what is loaded from disk counts as synced: it was,
    /// at the clean close or the recovery that left it).
    private var unsynced = false

    init(path: String, baseOffset: Int64, load: Bool) throws {
        self.path = path
        self.baseOffset = baseOffset
        guard load else { return }
        try IndexFile.load(path, entrySize: Self.entrySize).withUnsafeBytes { raw in
            for i in 0..<(raw.count / Self.entrySize) {
                offsets.append(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int32.self)))
                positions.append(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: i * 8 + 4, as: Int32.self)))
            }
        }
        flushedCount = offsets.count
    }

    var count: Int { offsets.count }

    /// Entries strictly increasing and pointing inside a log of `size` bytes: what a
    /// cleanly closed segment's index must satisfy before it is trusted.
    func isConsistent(logSize size: Int64) -> Bool {
        for i in offsets.indices {
            guard offsets[i] >= 0, positions[i] >= 0, Int64(positions[i]) < size else { return false }
            if i > 0, offsets[i] <= offsets[i - 1] || positions[i] <= positions[i - 1] { return false }
        }
        return true
    }
    var lastOffset: Int64? { offsets.last.map { baseOffset + Int64($0) } }

    func append(offset: Int64, position: Int64) {
        offsets.append(Int32(truncatingIfNeeded: offset - baseOffset))
        positions.append(Int32(truncatingIfNeeded: position))
    }

    /// The byte position to start scanning from for `offset`: the entry with the largest
    /// offset ≤ `offset`, found by binary search, or the segment start.
    func position(for offset: Int64) -> Int64 {
        let relative = offset - baseOffset
        var low = 0
        var high = offsets.count
        while low < high {
            let mid = (low + high) / 2
            if Int64(offsets[mid]) <= relative { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 0 : Int64(positions[low - 1])
    }

    func removeAll() {
        offsets.removeAll()
        positions.removeAll()
        flushedCount = 0
    }

    /// Writes entries not yet in the file (all of them when `rewrite`), optionally fsyncing.
    func flush(rewrite: Bool = false, sync: Bool) throws {
        if rewrite { flushedCount = 0 }
        let pending = flushedCount < offsets.count || rewrite
        guard pending || sync && unsynced else { return }
        try IndexFile.write(path, entrySize: Self.entrySize, from: flushedCount, to: offsets.count, rewrite: rewrite, sync: sync) {
            i, writer in
            writer.writeBigEndian(offsets[i])
            writer.writeBigEndian(positions[i])
        }
        flushedCount = offsets.count
        unsynced = !sync
    }
}
