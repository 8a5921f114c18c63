import WeirValues

/// One load of a lookup table file: its rows by key, never changed once made, so the
/// members of a `lookup` share it without locks and a reload swaps in a new one whole.
final class LookupTable: Sendable {
    let index: LookupIndex
    /// By row: the columns (CSV) or members (JSON lines) a match adds, in file order.
    let rows: [Fields]
    /// The file as it was read.
    let stamp: LookupFileStamp

    init(index: LookupIndex, rows: [Fields], stamp: LookupFileStamp) {
        self.index = index
        self.rows = rows
        self.stamp = stamp
    }

    var count: Int { rows.count }
}

/// How `lookup` reads its table file (its options).
struct LookupTableSpec: Sendable, Equatable {
    enum Format: String, Sendable { case csv, jsonl }

    var path: String
    var format: Format
    /// The CSV column or JSON member holding each row's key.
    var key: String
    /// The columns or members a match adds; nil for all but the key.
    var columns: [String]?
    /// CSV columns converted from text (the others stay strings).
    var types: [String: CSVColumnType] = [:]
    /// More rows than this and the file is refused.
    var maxRows: Int

    /// Whether `name` is added to matched records.
    func keeps(_ name: String) -> Bool { columns.map { $0.contains(name) } ?? (name != key) }

    /// The table the file holds now; nil when it changed while it was read.
    func load() throws(LookupLoadError) -> LookupTable? {
        guard let (stamp, bytes) = try LookupFileStamp.contents(path: path) else { return nil }
        let (index, rows) = try parse(bytes)
        return LookupTable(index: index, rows: rows, stamp: stamp)
    }

    /// The rows of a file's contents: lines ending in LF or CRLF (the last may have no
    /// line ending), blank lines skipped, a UTF-8 byte order mark ignored.
    func parse(_ bytes: [UInt8]) throws(LookupLoadError) -> (LookupIndex, [Fields]) {
        var lines: [(number: Int, text: ArraySlice<UInt8>)] = []
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var number = 1
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var line = bytes[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) { lines.append((number, line)) }
            start = end + 1
            number += 1
        }
        // Counted before any row is parsed: a file far over the limit costs no more than its lines.
        let rowCount = format == .csv ? max(lines.count - 1, 0) : lines.count
        if rowCount > maxRows { throw failure(nil, "has \(rowCount) rows, more than max_rows (\(maxRows)); the table was not loaded") }
        switch format {
        case .csv: return try parseCSV(lines)
        case .jsonl: return try parseJSONLines(lines)
        }
    }

    func failure(_ line: Int?, _ message: String) -> LookupLoadError { LookupLoadError(path: path, line: line, message: message) }

    /// Adds one row under its key; a key given twice refuses the file (which row should win
    /// is not for Weir to guess).
    func add(_ key: ArraySlice<UInt8>, _ row: Fields, line: Int, to index: inout LookupIndex, rows: inout [Fields], lines: inout [Int])
        throws(LookupLoadError)
    {
        if let first = key.withUnsafeBufferPointer({ index.insert($0) }) {
            throw failure(line, "key '\(String(decoding: key, as: UTF8.self))' is already the key of line \(lines[first])")
        }
        rows.append(row)
        lines.append(line)
    }
}
