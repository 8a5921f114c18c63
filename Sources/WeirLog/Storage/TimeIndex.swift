import SystemPackage

/// A segment's sparse time index (`.timeindex`): 12-byte entries of int64 timestamp
/// (the largest seen so far in the segment) and int32 relative offset, as Kafka's.
final class TimeIndex {
    static let entrySize = 12
    let path: String
    let baseOffset: Int64
    private(set) var timestamps: [Int64] = []
    private(set) var offsets: [Int32] = []
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
                timestamps.append(Int64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 12, as: Int64.self)))
                offsets.append(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: i * 12 + 8, as: Int32.self)))
            }
        }
        flushedCount = timestamps.count
    }

    var count: Int { timestamps.count }

    /// Entries increasing and at or below the segment's last offset.
    func isConsistent(lastOffset: Int64) -> Bool {
        for i in offsets.indices {
            guard offsets[i] >= 0, baseOffset + Int64(offsets[i]) <= lastOffset else { return false }
            if i > 0, offsets[i] <= offsets[i - 1] || timestamps[i] < timestamps[i - 1] { return false }
        }
        return true
    }

    func append(timestamp: Int64, offset: Int64) {
        // Only a timestamp larger than the last entry's adds information.
        if let last = timestamps.last, timestamp <= last { return }
        timestamps.append(timestamp)
        offsets.append(Int32(truncatingIfNeeded: offset - baseOffset))
    }

    /// The offset after which every record with timestamp ≥ `timestamp` lies: the offset of
    /// the last entry whose timestamp is below it, plus one (or the segment base).
    func startOffset(forTimestamp timestamp: Int64) -> Int64 {
        var low = 0
        var high = timestamps.count
        while low < high {
            let mid = (low + high) / 2
            if timestamps[mid] < timestamp { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? baseOffset : baseOffset + Int64(offsets[low - 1]) + 1
    }

    func removeAll() {
        timestamps.removeAll()
        offsets.removeAll()
        flushedCount = 0
    }

    func flush(rewrite: Bool = false, sync: Bool) throws {
        if rewrite { flushedCount = 0 }
        let pending = flushedCount < timestamps.count || rewrite
        guard pending || sync && unsynced else { return }
        try IndexFile.write(path, entrySize: Self.entrySize, from: flushedCount, to: timestamps.count, rewrite: rewrite, sync: sync) {
            i, writer in
            writer.writeBigEndian(timestamps[i])
            writer.writeBigEndian(offsets[i])
        }
        flushedCount = timestamps.count
        unsynced = !sync
    }
}
