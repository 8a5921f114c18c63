public import WeirLog

/// Reading a partition's records through a broker, for `weir consume` alone or in a group.
extension RemoteTopics {
    /// The offset `start` names in a partition: its earliest, its latest, the given offset,
    /// or the first record at or after a time (the end if none).
    public func offset(_ topic: String, partition: Int, at start: TopicConsumer.Start) throws -> Int64 {
        switch start {
        case .earliest: try offset(topic, partition: partition, timestamp: ListOffsetsAPI.earliestTimestamp)
        case .latest: try offset(topic, partition: partition, timestamp: ListOffsetsAPI.latestTimestamp)
        case .offset(let offset): offset
        case .timestamp(let time): try offset(topic, partition: partition, timestamp: time)
        }
    }

    /// One fetch of a partition's records from `offset` (none waited for), visiting at most
    /// `limit`; the offset to read next and how many were visited. The offset moves past
    /// a whole batch even where none of its records were visited (those before `offset`).
    public func read(
        _ topic: String, partition: Int, from offset: Int64, limit: Int, visit: (Int64, RecordView) throws -> Void
    ) throws -> (next: Int64, count: Int) {
        let fetched = try fetch(topic, partition: partition, from: offset, maxWaitMs: 0)
        var (next, count) = (offset, 0)
        try fetched.batches.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count && count < limit {
                guard let batch = try? RecordBatch(parsing: UnsafeRawBufferPointer(rebasing: raw[at...])) else { break }
                at += batch.header.totalSize
                try batch.forEachRecord { view in
                    guard view.offset >= next, count < limit else { return }
                    try visit(view.offset, view)
                    next = view.offset + 1
                    count += 1
                }
                if count < limit { next = max(next, batch.header.baseOffset + Int64(batch.header.lastOffsetDelta) + 1) }
            }
        }
        return (next, count)
    }

    /// Waits up to `maxWaitMs` until any of `positions`' partitions (partition: offset) has
    /// records at or past its position.
    public func waitForData(_ topic: String, positions: [Int: Int64], maxWaitMs: Int32) throws {
        guard !positions.isEmpty else { return }
        let request = FetchAPI.Request(
            maxWaitMs: maxWaitMs, minBytes: 1, maxBytes: 1,
            topics: [
                .init(
                    topic: topic,
                    partitions: positions.sorted { $0.key < $1.key }.map {
                        .init(partition: Int32($0.key), fetchOffset: $0.value, partitionMaxBytes: 1)
                    })
            ])
        _ = try connection.request(FetchAPI.self, request, version: 11)
    }
}
