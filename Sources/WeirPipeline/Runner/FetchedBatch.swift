import WeirLog
import WeirValues

/// Where a sink member reads its next batch: a partition, a reader at the batch's first
/// offset (a copy: the member's own reader moves on only once the batch is committed),
/// and the end offset to read up to.
struct BatchRequest: Sendable {
    let key: TopicPartition
    let reader: PartitionReader
    let end: Int64
}

/// One batch read from a partition (fetched, CRC-checked, inflated): the records' values
/// back to back and what else a record needs, and the reader after them. Read the same way
/// inline and by a `BatchPrefetcher`, so a prefetched batch is the batch the member would
/// have read; the member makes the records (`records()`) itself. Making them on the thread
/// that transforms and frees them keeps their memory in that thread's malloc arena and
/// cache, and a batch held ahead small (the values and 40 bytes a record, not the records'
/// fields).
struct FetchedBatch: Sendable {
    /// What a record has besides its value.
    struct Entry: Sendable {
        /// Where its value ends in `values` (it starts where the one before ends).
        let end: Int
        let offset: Int64
        let timestamp: Int64
        let key: [UInt8]?
        /// Without the source position header (it is the writing source's own).
        let headers: [RecordHeader]
    }

    let key: TopicPartition
    private(set) var values: [UInt8]
    private(set) var entries: [Entry]
    /// Where the partition's next batch starts: the member's reader once this one is committed.
    let reader: PartitionReader

    /// Most room made at once for a batch's values (4,000 lines of about 250 bytes); a
    /// batch of fewer records gets room for that many.
    static let valuesCapacity = 1 << 20
    /// After this many records, room for the rest of the batch is made at their size.
    static let sampledRecords = 64

    /// The values' bytes (the sink's `bytes` statistic).
    var bytes: Int { values.count }

    /// Reads up to `limit` records of `request`. Stops early, with fewer records, once
    /// `cancelled` returns true: a prefetch nobody will take need not finish.
    init(reading request: BatchRequest, limit: Int, cancelled: () -> Bool = { false }) throws {
        var reader = request.reader
        // The batch's values go into one buffer, each record's message a slice of it: no
        // allocation or decoding per record.
        var values: [UInt8] = []
        values.reserveCapacity(min(Self.valuesCapacity, Int(clamping: request.end - reader.position) * 256))
        var entries: [Entry] = []
        entries.reserveCapacity(limit)
        let expected = min(limit, Int(clamping: request.end - reader.position))
        try reader.read(upTo: request.end, limit: limit, wholeBatches: true) { view in
            if let value = view.value { values.append(contentsOf: value) }
            entries.append(
                Entry(
                    end: values.count, offset: view.offset, timestamp: view.timestamp, key: view.key.map(Array.init),
                    headers: view.headerCount > 0 ? view.headers.filter { $0.key != SourcePosition.header } : []))
            // Room for the whole batch once its first records tell how large values are
            // (a batch of 20,000 JSON lines is ~12 MB: grown by doubling it was copied
            // four times, and each new buffer's pages faulted in).
            if entries.count == Self.sampledRecords, expected > Self.sampledRecords {
                let room = values.count / Self.sampledRecords * expected
                if room > values.capacity { values.reserveCapacity(room + room / 8) }
            }
            return !cancelled()
        }
        key = request.key
        self.values = values
        self.entries = entries
        self.reader = reader
    }

    /// How many records the batch holds.
    var count: Int { entries.count }

    /// The earliest of the records' timestamps.
    var oldestTimestamp: Int64? {
        entries.isEmpty ? nil : entries.reduce(Int64.max) { min($0, $1.timestamp) }
    }

    /// The values as lines, in place: for a sink that writes them as they are read (no
    /// transform between), which then makes no record.
    func withValueLines<Result>(_ body: (ValueLines) throws -> Result) rethrows -> Result {
        try values.withUnsafeBufferPointer { values in
            try entries.withUnsafeBufferPointer { entries in try body(ValueLines(values: values, entries: entries)) }
        }
    }

    /// The batch's records, each message a slice of the values, with its origin. Leaves
    /// the batch empty: the records then hold the only reference to the values.
    mutating func records() -> [PipelineRecord] {
        let (values, entries) = (self.values, self.entries)
        (self.values, self.entries) = ([], [])
        // Each record is made where it stays in the array (a record made beside it and
        // appended was copied in, and the temporary destroyed).
        return [PipelineRecord](unsafeUninitializedCapacity: entries.count) { records, made in
            var start = 0
            for (i, entry) in entries.enumerated() {
                (records.baseAddress! + i).initialize(to: TopicValues.record(entry, value: values[start..<entry.end], of: key))
                start = entry.end
                made = i + 1
            }
        }
    }

    /// The values in place, for an output that reads them itself (`JSONObjectsWriter`).
    func withValues<Result>(_ body: (TopicValues) throws -> Result) rethrows -> Result {
        try values.withUnsafeBufferPointer { values in
            try entries.withUnsafeBufferPointer { entries in try body(TopicValues(values: values, entries: entries, partition: key)) }
        }
    }
}
