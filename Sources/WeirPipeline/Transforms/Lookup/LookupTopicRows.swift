import WeirValues

/// The latest row of every key of a table topic: the file table's `LookupIndex` (probed
/// with a record's bytes, allocating nothing) over rows that change in place.
///
/// A key is never taken out of the index: its deletion empties its row, and a later
/// record of the key fills that row again. Deleted keys are dropped for good by
/// `compact`, which makes the index again from the live rows once they are outnumbered
/// (so a topic that churns through keys holds about twice its live keys, not all it ever had).
struct LookupTopicRows: Sendable {
    private(set) var index = LookupIndex(capacity: 512)
    /// By the index's row: the row's fields, nil when its key was deleted.
    private(set) var rows: [Fields?] = []
    /// How many rows are not nil.
    private(set) var live = 0

    /// The row of the key at `position` in the index, nil when that key was deleted.
    @inline(__always)
    func row(at position: Int) -> Fields? { rows[position] }

    /// Whether setting `key` would add a key the table does not have.
    func isNew(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let position = index.row(key) else { return true }
        return rows[position] == nil
    }

    /// Makes `row` the row of `key`.
    mutating func set(_ key: UnsafeBufferPointer<UInt8>, _ row: Fields) {
        if let position = index.insert(key) {
            if rows[position] == nil { live += 1 }
            rows[position] = row
        } else {
            rows.append(row)
            live += 1
        }
    }

    /// Deletes the row of `key` (nothing when there is none).
    mutating func remove(_ key: UnsafeBufferPointer<UInt8>) {
        guard let position = index.row(key), rows[position] != nil else { return }
        rows[position] = nil
        live -= 1
        if rows.count - live > max(1024, live) { compact() }
    }

    /// The index and rows made again from the live rows only.
    private mutating func compact() {
        var index = LookupIndex(capacity: live)
        var rows: [Fields?] = []
        rows.reserveCapacity(live)
        for (position, row) in self.rows.enumerated() {
            guard let row else { continue }
            _ = self.index.key(position).withUnsafeBufferPointer { index.insert($0) }
            rows.append(row)
        }
        self.index = index
        self.rows = rows
    }
}
