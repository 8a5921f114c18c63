import NIOCore
import WeirPipeline
import WeirValues

/// A batch's records as rows in `COPY … FROM STDIN`'s text format (one line a row, cells
/// separated by tabs, `\N` for null; backslash, tab, newline and carriage return escaped),
/// written straight from their fields into the buffers sent: a string still held as the
/// bytes it was read with is copied from them, an integer or a time written digit by
/// digit, so a cell makes no `String` (the text of a row of cells cost more than the
/// server's own work on it). Each column's field is looked for first where it was in
/// the record before (`Fields.index(forKey:hint:)`).
///
/// `COPY` has no `DEFAULT` per row (PostgreSQL 15), so the rows are grouped by which
/// columns they fill: each group is one `COPY` naming only those, and the others take
/// their defaults, as a multi-row `INSERT` with `DEFAULT` would.
struct PostgresCopyRows {
    /// The positions (in the sink's columns) a group's rows fill, and their text, cut into
    /// chunks of about `chunkBytes` (each one `CopyData` message).
    struct Group {
        let columns: [Int]
        var chunks: [ByteBuffer]

        /// The chunks' bytes one after another (what the server receives).
        var text: [UInt8] { chunks.flatMap { Array($0.readableBytesView) } }
    }

    static let chunkBytes = 256 * 1024

    private(set) var groups: [Group] = []
    /// The indices in the records of the rows written, in order: the others held a value
    /// their column can never take, and went to `refuse`.
    private(set) var written: [Int] = []

    /// Encodes `records` for `columns`; a record with a value its column can never take
    /// (or an expression that fails) is given to `refuse` with the reason, and left out.
    init(
        _ records: [PipelineRecord], columns: [(column: PostgresColumn, source: PostgresSink.Source)],
        refuse: (PipelineRecord, String) -> Void
    ) {
        let count = columns.count
        let kinds = columns.map { CellKind($0.column) }
        var hints = [Int](repeating: 0, count: count)
        var positions = [Int](repeating: -1, count: count)
        var computed = [Value](repeating: .null, count: count)
        var present = [Bool](repeating: true, count: count)
        var groupOf: [[Bool]: Int] = [:]
        var buffers: [ByteBuffer] = []
        var current = -1
        written.reserveCapacity(records.count)
        records: for (index, record) in records.enumerated() {
            // First where each cell comes from, and whether its column can take it.
            for (position, (column, source)) in columns.enumerated() {
                var value: Value?
                switch source {
                case .field(let name):
                    guard let at = record.fields.index(forKey: name, hint: hints[position]) else {
                        present[position] = false
                        continue
                    }
                    hints[position] = at
                    positions[position] = at
                    if record.fields.textBytes(at: at) == nil { value = record.fields.value(at: at) }
                case .expression(let expression):
                    do { computed[position] = try expression.evaluate(record.object) } catch {
                        refuse(record, "postgres column \(column.name): \(error.message)")
                        continue records
                    }
                    value = computed[position]
                case .timestamp: value = .int(record.timestamp)
                }
                present[position] = true
                if let value, let refusal = column.refusal(of: value) {
                    refuse(record, "postgres: \(refusal)")
                    continue records
                }
            }
            if current < 0 || groups[current].columns.count != count || present.contains(false) {
                current = Self.group(present, &groupOf, &groups, &buffers)
            }
            // Then the row, into its group's buffer.
            Self.writeRow(record, present, positions, computed, columns, kinds, into: &buffers[current])
            written.append(index)
            if buffers[current].readableBytes >= Self.chunkBytes {
                groups[current].chunks.append(buffers[current])
                buffers[current] = Self.newBuffer()
            }
        }
        for (group, buffer) in buffers.enumerated() where buffer.readableBytes > 0 {
            groups[group].chunks.append(buffer)
        }
    }

    /// The group of rows filling the `present` columns, made when it is the first.
    private static func group(_ present: [Bool], _ groupOf: inout [[Bool]: Int], _ groups: inout [Group], _ buffers: inout [ByteBuffer])
        -> Int
    {
        if let found = groupOf[present] { return found }
        groupOf[present] = groups.count
        groups.append(Group(columns: present.indices.filter { present[$0] }, chunks: []))
        buffers.append(newBuffer())
        return groups.count - 1
    }

    /// Room for a chunk and the row that passes its end.
    private static func newBuffer() -> ByteBuffer {
        ByteBufferAllocator().buffer(capacity: chunkBytes + 16 * 1024)
    }

    /// How a column's values are written, worked out once a batch.
    private struct CellKind {
        let json: Bool
        let time: Bool

        init(_ column: PostgresColumn) {
            json = column.isJSON
            time = column.isTime
        }
    }

    private static func writeRow(
        _ record: PipelineRecord, _ present: [Bool], _ positions: [Int], _ computed: [Value],
        _ columns: [(column: PostgresColumn, source: PostgresSink.Source)], _ kinds: [CellKind], into buffer: inout ByteBuffer
    ) {
        var first = true
        for position in columns.indices where present[position] {
            if !first { buffer.writeInteger(UInt8(ascii: "\t")) }
            first = false
            let column = columns[position].column
            switch columns[position].source {
            case .field:
                let at = positions[position]
                if let bytes = record.fields.textBytes(at: at) {
                    write(text: bytes, column, kinds[position], into: &buffer)
                } else {
                    write(record.fields.value(at: at), column, kinds[position], into: &buffer)
                }
            case .expression: write(computed[position], column, kinds[position], into: &buffer)
            case .timestamp: write(.int(record.timestamp), column, kinds[position], into: &buffer)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// A string held as the bytes it was read with: copied when ASCII; otherwise decoded
    /// first, as reading it as a `Value` would (U+FFFD for what is not UTF-8).
    private static func write(text bytes: ArraySlice<UInt8>, _ column: PostgresColumn, _ kind: CellKind, into buffer: inout ByteBuffer) {
        if !kind.json && Fields.isASCII(bytes) {
            bytes.withUnsafeBufferPointer { append(escaping: $0, to: &buffer) }
        } else {
            write(.string(String(decoding: bytes, as: UTF8.self)), column, kind, into: &buffer)
        }
    }

    /// A value as `PostgresColumn.text(of:)` gives it; integers (and times from them)
    /// without a `String`.
    private static func write(_ value: Value, _ column: PostgresColumn, _ kind: CellKind, into buffer: inout ByteBuffer) {
        if !kind.json, case .int(let number) = value {
            if kind.time { PostgresTimeText.write(millis: number, into: &buffer) } else { writeDecimal(number, into: &buffer) }
            return
        }
        guard var text = column.text(of: value) else {
            buffer.writeStaticString("\\N")
            return
        }
        text.withUTF8 { append(escaping: $0, to: &buffer) }
    }

    /// `number` in decimal, as `String(number)` writes it.
    static func writeDecimal(_ number: Int64, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { room in
            var magnitude = number.magnitude
            var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of scratch, reversed digits
            return withUnsafeMutableBytes(of: &digits) { scratch in
                var count = 0
                repeat {
                    scratch[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                    magnitude /= 10
                    count += 1
                } while magnitude > 0
                var at = 0
                if number < 0 {
                    room[0] = UInt8(ascii: "-")
                    at = 1
                }
                for digit in stride(from: count - 1, through: 0, by: -1) {
                    room[at] = scratch[digit]
                    at += 1
                }
                return at
            }
        }
    }

    /// `bytes` with `\`, tab, newline and carriage return escaped (runs between them are
    /// copied whole).
    static func append(escaping bytes: UnsafeBufferPointer<UInt8>, to buffer: inout ByteBuffer) {
        var start = 0
        for (index, byte) in bytes.enumerated() {
            let escaped: UInt8
            switch byte {
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
            default: continue
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            buffer.writeInteger(UInt8(ascii: "\\"))
            buffer.writeInteger(escaped)
            start = index + 1
        }
        buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
    }
}
