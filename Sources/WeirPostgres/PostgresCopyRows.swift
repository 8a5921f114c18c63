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
struct PostgresCopyRows: Sendable {
    /// The positions (in the sink's columns) a group's rows fill, and their text, cut into
    /// chunks of about `chunkBytes` (each one `CopyData` message).
    struct Group: Sendable {
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

    let columns: [(column: PostgresColumn, source: PostgresSink.Source)]
    // What the row loop reads of each column, held apart from the column's names so that
    // reading it copies no `String` (each copy a retain and a release, eleven columns a
    // row, which cost as much as writing the row).
    let plans: [Plan]
    let names: [String]
    /// Per column: where its field was in the last record (looked for there first), where
    /// it is in this one, the value an expression gave, whether the row fills it.
    private var hints: [Int]
    private var positions: [Int]
    private var computed: [Value]
    var present: [Bool]
    /// The group of the last row (kept while the rows fill the same columns) and its columns.
    private var current = -1
    private var currentPresent: [Bool] = []
    private var groupOf: [[Bool]: Int] = [:]
    /// Each group's chunk being written.
    private var buffers: [ByteBuffer] = []

    /// Encodes `records` for `columns`; a record with a value its column can never take
    /// (or an expression that fails) is given to `refuse` with the reason, and left out.
    init(
        _ records: [PipelineRecord], columns: [(column: PostgresColumn, source: PostgresSink.Source)],
        refuse: (PipelineRecord, String) -> Void
    ) {
        self.init(columns: columns)
        written.reserveCapacity(records.count)
        for index in records.indices { add(records[index], index: index, refuse: refuse) }
        finish()
    }

    /// No rows yet: `add` them, then `finish`.
    init(columns: [(column: PostgresColumn, source: PostgresSink.Source)]) {
        let count = columns.count
        self.columns = columns
        plans = columns.map { Plan($0.column, $0.source) }
        names = columns.map { if case .field(let name) = $0.source { name } else { "" } }
        hints = [Int](repeating: 0, count: count)
        positions = [Int](repeating: -1, count: count)
        computed = [Value](repeating: .null, count: count)
        present = [Bool](repeating: true, count: count)
    }

    /// Adds `record`'s row (`index`: its place in the batch, for `written`), or gives it
    /// to `refuse` with the reason.
    mutating func add(_ record: PipelineRecord, index: Int, refuse: (PipelineRecord, String) -> Void) {
        let fields = record.fields
        // First where each cell comes from, and whether its column can take it.
        for position in 0..<plans.count {
            let value: Value
            switch plans[position].from {
            case .field:
                guard let at = fields.index(forKey: names[position], hint: hints[position]) else {
                    present[position] = false
                    continue
                }
                hints[position] = at
                positions[position] = at
                present[position] = true
                // A string held as its bytes is never refused.
                if fields.holdsText(at: at) { continue }
                value = fields.value(at: at)
            case .expression:
                guard case .expression(let expression) = columns[position].source else { continue }
                do { computed[position] = try expression.evaluate(record.object) } catch {
                    refuse(record, "postgres column \(columns[position].column.name): \(error.message)")
                    return
                }
                value = computed[position]
            case .timestamp: value = .int(record.timestamp)
            }
            present[position] = true
            if plans[position].mayRefuse(value), let refusal = columns[position].column.refusal(of: value) {
                refuse(record, "postgres: \(refusal)")
                return
            }
        }
        // Then the row, into its group's buffer.
        let group = groupOfRow()
        Self.writeRow(record, fields, present, positions, computed, columns, plans, into: &buffers[group])
        rowWritten(index, group: group)
    }

    /// Adds the row of batch index `index` filling the `present` columns, which `write`
    /// writes (its cells, tab-separated, and its newline) into its group's buffer.
    mutating func addRow(_ index: Int, _ write: (inout ByteBuffer) -> Void) {
        let group = groupOfRow()
        write(&buffers[group])
        rowWritten(index, group: group)
    }

    /// The group of the row whose columns `present` says (the last row's, mostly).
    private mutating func groupOfRow() -> Int {
        if current < 0 || present != currentPresent {
            current = Self.group(present, &groupOf, &groups, &buffers)
            currentPresent = present
        }
        return current
    }

    /// Notes the row of batch index `index` written into `group`'s buffer, and starts a
    /// new chunk when this one is full.
    private mutating func rowWritten(_ index: Int, group: Int) {
        written.append(index)
        if buffers[group].readableBytes >= Self.chunkBytes {
            groups[group].chunks.append(buffers[group])
            buffers[group] = Self.newBuffer()
        }
    }

    /// Ends the last chunk of every group.
    mutating func finish() {
        for (group, buffer) in buffers.enumerated() where buffer.readableBytes > 0 {
            groups[group].chunks.append(buffer)
            buffers[group] = ByteBuffer()
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

    /// How a column's cells are found and written, worked out once a batch: no reference
    /// in it, so reading it costs nothing.
    struct Plan: Sendable {
        enum From { case field, expression, timestamp }

        let from: From
        let json: Bool
        let time: Bool
        /// Whether `PostgresColumn.refusal(of:)` may refuse a number, a bool, an array or
        /// an object (it never refuses null or a string).
        let refusesNumbers: Bool
        let refusesBools: Bool
        let refusesCompound: Bool

        init(_ column: PostgresColumn, _ source: PostgresSink.Source) {
            switch source {
            case .field: from = .field
            case .expression: from = .expression
            case .timestamp: from = .timestamp
            }
            json = column.isJSON
            time = column.isTime
            refusesNumbers = column.category == "B"
            refusesBools = column.category == "N" || column.category == "D"
            refusesCompound = !(column.isJSON || column.category == "S")
        }

        func mayRefuse(_ value: Value) -> Bool {
            switch value {
            case .null, .string: false
            case .int, .double: refusesNumbers
            case .bool: refusesBools
            case .array, .object: refusesCompound
            }
        }
    }

    private static func writeRow(
        _ record: PipelineRecord, _ fields: Fields, _ present: [Bool], _ positions: [Int], _ computed: [Value],
        _ columns: [(column: PostgresColumn, source: PostgresSink.Source)], _ plans: [Plan], into buffer: inout ByteBuffer
    ) {
        var first = true
        for position in plans.indices where present[position] {
            if !first { buffer.writeInteger(UInt8(ascii: "\t")) }
            first = false
            let plan = plans[position]
            switch plan.from {
            case .field:
                let at = positions[position]
                if !plan.json, fields.withASCIIText(at: at, { append(escaping: $0, to: &buffer) }) == true {
                    continue
                }
                write(fields.value(at: at), columns[position].column, plan, into: &buffer)
            case .expression: write(computed[position], columns[position].column, plan, into: &buffer)
            case .timestamp: write(.int(record.timestamp), columns[position].column, plan, into: &buffer)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// A value as `PostgresColumn.text(of:)` gives it; integers (and times from them)
    /// without a `String`.
    static func write(_ value: Value, _ column: PostgresColumn, _ plan: Plan, into buffer: inout ByteBuffer) {
        if !plan.json, case .int(let number) = value {
            if plan.time { PostgresTimeText.write(millis: number, into: &buffer) } else { writeDecimal(number, into: &buffer) }
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
    /// copied whole). Eight bytes at a time are passed over when none of them is below
    /// 0x20 or a backslash (most cells: no byte to look at one by one).
    static func append(escaping bytes: UnsafeBufferPointer<UInt8>, to buffer: inout ByteBuffer) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var start = 0
        var index = 0
        while index < count {
            while index + 8 <= count, !mayNeedEscaping(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                index += 8
            }
            let stop = min(index + 8, count)
            while index < stop {
                let escaped: UInt8
                switch base[index] {
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                default:
                    index += 1
                    continue
                }
                buffer.writeBytes(UnsafeBufferPointer(start: base + start, count: index - start))
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(escaped)
                index += 1
                start = index
            }
        }
        buffer.writeBytes(UnsafeBufferPointer(start: base + start, count: count - start))
    }

    /// Whether one of the eight bytes of `word` is below 0x20 or is a backslash (never
    /// false when one is; true also for some words with a byte at or above 0x80).
    @inline(__always)
    private static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let belowSpace = (word &- ones &* 0x20) & ~word & highs
        let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let backslash = (backslashes &- ones) & ~backslashes & highs
        return belowSpace | backslash != 0
    }
}
