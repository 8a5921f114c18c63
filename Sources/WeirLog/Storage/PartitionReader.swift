/// Reads one partition forward from an offset, batch by batch, checking every CRC and
/// decompressing; records before the start offset (in the first batch) are skipped.
public struct PartitionReader: Sendable {
    public let partition: Partition
    public private(set) var position: Int64
    public let maxFetchBytes: Int

    public init(partition: Partition, from offset: Int64, maxFetchBytes: Int = 1 << 20) {
        self.partition = partition
        self.position = offset
        self.maxFetchBytes = maxFetchBytes
    }

    /// Calls `visit` for each record from the current position up to `end` (exclusive),
    /// at most `limit` records; returns how many it visited. `visit` returns false to stop.
    /// With `wholeBatches`, a read that has records stops before a batch that would take
    /// it past `limit`, so that batch is not checked and decompressed twice (cut here, and
    /// again by the next read); only a batch larger than `limit` is cut.
    @discardableResult
    public mutating func read(
        upTo end: Int64,
        limit: Int = .max,
        wholeBatches: Bool = false,
        _ visit: (RecordView) throws -> Bool
    ) throws -> Int {
        var visited = 0
        while position < end && visited < limit {
            let fetched = try partition.fetch(from: position, maxBytes: maxFetchBytes)
            if fetched.bytes.isEmpty { break }
            var stop = false
            let start = position
            try fetched.bytes.withUnsafeBytes { raw in
                var at = 0
                while at < raw.count && !stop {
                    let batchBytes = UnsafeRawBufferPointer(rebasing: raw[at...])
                    if wholeBatches && visited > 0, let header = try? RecordBatchHeader(parsing: batchBytes),
                        visited + Int(header.recordsCount) > limit
                    {
                        stop = true
                        break
                    }
                    let batch: RecordBatch
                    do {
                        batch = try RecordBatch(parsing: batchBytes)
                    } catch let error as RecordBatchError {
                        throw WeirLogError.corruptBatch(
                            file: "\(partition.topic)/\(partition.id)", position: start,
                            reason: "batch read at offset \(position): \(error)")
                    }
                    at += batch.header.totalSize
                    try batch.forEachRecord { view in
                        guard !stop, view.offset >= position, view.offset < end else { return }
                        if visited >= limit {
                            stop = true
                            return
                        }
                        position = view.offset + 1
                        visited += 1
                        if try !visit(view) { stop = true }
                    }
                    if !stop && batch.header.nextOffset > position && batch.header.nextOffset <= end {
                        position = batch.header.nextOffset
                    }
                    // Done at a batch's end: the next batch is not checked and decompressed
                    // only to find that none of it is wanted.
                    if visited >= limit { stop = true }
                }
            }
            if stop { break }
        }
        return visited
    }
}
