import Foundation
import NIOCore
import WeirPipeline
import WeirValues

/// `COPY` rows read straight from the JSON text of values as read from a topic: what
/// `parse_json` then `PostgresCopyRows.add` write, with no record and no field made (the
/// sink is a `JSONObjectsWriter`). A member fills its column's cell from where it is in
/// the text: a string without escapes is copied as it is (it holds no byte `COPY` escapes),
/// one with escapes is unescaped and escaped for `COPY` in one pass, an integer is written
/// from its value.
///
/// Only the common shape is read so: an ASCII object whose keys have no escapes and whose
/// members are strings without `\u`, plain integers or null, going into columns that are
/// not `json`, `jsonb` or boolean. Any other record is parsed by `parse_json`'s own parser
/// and written by `PostgresCopyRows.add`, so every record gets the row it would have.
struct PostgresJSONRows {
    /// What a record's member gives a column.
    private enum Kind {
        case none
        /// A string without escapes: `start..<end` of the text.
        case plain
        /// A string with escapes (none of them `\u`): `start..<end` of the text.
        case escaped
        case integer
        case null
        /// The record's own field (the value itself), when no member is named so.
        case own
    }

    private struct Cell {
        var kind = Kind.none
        var start = 0
        var end = 0
        var number: Int64 = 0
    }

    /// A key seen before: `keyText[start..<end]`, and the column it fills (-1: none).
    private struct Key {
        var start: Int
        var end: Int
        var column: Int
    }

    /// At most this many keys are kept (objects keyed by ids have ever new keys); a key
    /// not kept is looked up by name each time.
    private static let maxKeys = 256

    private var keyText: [UInt8] = []
    private var keys: [Key] = []
    /// The key at each place of the last object, tried first at that place.
    private var order: [Int] = []
    /// The columns filled from fields, by name.
    private let columnOfName: [String: Int]
    /// The columns named as the record's own field (`TopicValues.field`).
    private let ownField: [Bool]
    /// This record's cells, by column.
    private var cells: [Cell]
    private let plans: [PostgresCopyRows.Plan]
    private let columns: [PostgresColumn]

    /// The rows of `values`, the records refused (parsed, with the reason), as `parse_json`
    /// of `parser.field` then `PostgresCopyRows` give them, and how many rows were read in
    /// place (the others were parsed, then written from their fields); nil when a record
    /// does not parse (`parse_json` fails it), a column is an expression or two columns
    /// take the same field.
    static func rows(
        _ values: TopicValues, parsing parser: JSONFieldParser, columns: [(column: PostgresColumn, source: PostgresSink.Source)]
    ) -> (rows: PostgresCopyRows, refused: [(record: PipelineRecord, reason: String)], inPlace: Int)? {
        var names = Set<String>()
        for (_, source) in columns {
            switch source {
            case .expression: return nil
            case .field(let name): if !names.insert(name).inserted { return nil }  // one field, two columns
            case .timestamp: break
            }
        }
        var rows = PostgresCopyRows(columns: columns)
        var reader = PostgresJSONRows(rows)
        var parsing = JSONMembersReader()
        var refused: [(record: PipelineRecord, reason: String)] = []
        // Only a value that is the field parsed, and ASCII (so as `parse_json` reads it).
        let readsValues = parser.field == TopicValues.field
        let ascii = readsValues && values.isASCII
        var inPlace = 0
        for index in 0..<values.count {
            let value = values.value(index)
            if readsValues && (ascii || Fields.isASCII(value.assumingMemoryBound(to: UInt8.self))),
                reader.add(value, values.timestamp(index), index, to: &rows)
            {
                inPlace += 1
                continue
            }
            var record = values.record(index)
            guard parser.parse(&record, reader: &parsing) else { return nil }
            rows.add(record, index: index) { refused.append(($0, $1)) }
        }
        rows.finish()
        return (rows, refused, inPlace)
    }

    private init(_ rows: PostgresCopyRows) {
        var columnOfName: [String: Int] = [:]
        for (position, name) in rows.names.enumerated() where rows.plans[position].from == .field {
            columnOfName[name] = columnOfName[name] ?? position
        }
        self.columnOfName = columnOfName
        ownField = rows.names.indices.map { rows.plans[$0].from == .field && rows.names[$0] == TopicValues.field }
        cells = Array(repeating: Cell(), count: rows.names.count)
        plans = rows.plans
        columns = rows.columns.map(\.column)
    }

    /// Writes the row of `text` (ASCII) as record `index` of the batch; false, writing
    /// nothing, when it is not of the shape read here.
    private mutating func add(_ text: UnsafeRawBufferPointer, _ timestamp: Int64, _ index: Int, to rows: inout PostgresCopyRows)
        -> Bool
    {
        guard read(text) else { return false }
        // Which columns the row fills, and whether each cell is written here.
        for position in cells.indices {
            let plan = plans[position]
            switch plan.from {
            case .field:
                switch cells[position].kind {
                case .none:
                    if ownField[position] {
                        if plan.json { return false }
                        cells[position].kind = .own
                    }
                case .null: break
                case .integer: if plan.json || plan.refusesNumbers { return false }
                case .plain, .escaped, .own: if plan.json { return false }
                }
                rows.present[position] = cells[position].kind != .none
            case .timestamp:
                if plan.refusesNumbers { return false }
                rows.present[position] = true
            case .expression: return false
            }
        }
        rows.addRow(index) { buffer in write(text, timestamp, into: &buffer) }
        return true
    }

    /// The row of the cells `add` found.
    private func write(_ text: UnsafeRawBufferPointer, _ timestamp: Int64, into buffer: inout ByteBuffer) {
        var first = true
        for position in cells.indices where cells[position].kind != .none || plans[position].from == .timestamp {
            if !first { buffer.writeInteger(UInt8(ascii: "\t")) }
            first = false
            let cell = cells[position]
            let plan = plans[position]
            if plan.from == .timestamp {
                PostgresCopyRows.write(.int(timestamp), columns[position], plan, into: &buffer)
                continue
            }
            switch cell.kind {
            case .plain: buffer.writeBytes(UnsafeRawBufferPointer(rebasing: text[cell.start..<cell.end]))
            case .escaped: Self.writeUnescaped(UnsafeRawBufferPointer(rebasing: text[cell.start..<cell.end]), into: &buffer)
            case .integer:
                if plan.time {
                    PostgresTimeText.write(millis: cell.number, into: &buffer)
                } else {
                    PostgresCopyRows.writeDecimal(cell.number, into: &buffer)
                }
            case .null: buffer.writeStaticString("\\N")
            case .own: PostgresCopyRows.append(escaping: text.assumingMemoryBound(to: UInt8.self), to: &buffer)
            case .none: break
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// Reads `text` as a JSON object of members of the kinds above, noting the cells of the
    /// columns named; false for anything else (then `parse_json` reads it).
    private mutating func read(_ text: UnsafeRawBufferPointer) -> Bool {
        for position in cells.indices { cells[position].kind = .none }
        let count = text.count
        var at = Self.skipSpace(text, from: 0)
        guard at < count, text[at] == UInt8(ascii: "{") else { return false }
        at = Self.skipSpace(text, from: at + 1)
        guard at < count else { return false }
        if text[at] == UInt8(ascii: "}") {
            return Self.skipSpace(text, from: at + 1) == count
        }
        var place = 0
        while true {
            guard at < count, text[at] == UInt8(ascii: "\"") else { return false }
            let keyEnd = JSONMembersReader.stop(text, from: at + 1)
            guard keyEnd < count, text[keyEnd] == UInt8(ascii: "\"") else { return false }
            let column = self.column(UnsafeRawBufferPointer(rebasing: text[(at + 1)..<keyEnd]), place: place)
            at = Self.skipSpace(text, from: keyEnd + 1)
            guard at < count, text[at] == UInt8(ascii: ":") else { return false }
            at = Self.skipSpace(text, from: at + 1)
            guard at < count else { return false }
            var cell = Cell()
            let first = text[at]
            if first == UInt8(ascii: "\"") {
                cell.start = at + 1
                var end = JSONMembersReader.stop(text, from: cell.start)
                cell.kind = .plain
                while end < count && text[end] == UInt8(ascii: "\\") {
                    guard end + 1 < count, Self.escaped(text[end + 1]) != nil else { return false }
                    cell.kind = .escaped
                    end = JSONMembersReader.stop(text, from: end + 2)
                }
                guard end < count, text[end] == UInt8(ascii: "\"") else { return false }
                cell.end = end
                at = end + 1
            } else if first == UInt8(ascii: "-") || (first &- 0x30) < 10 {
                guard let number = JSONMembersReader.integer(text, from: at) else { return false }
                cell.kind = .integer
                cell.number = number.value
                at = number.end
            } else if first == UInt8(ascii: "n") {
                guard at + 4 <= count, text[at + 1] == UInt8(ascii: "u"), text[at + 2] == UInt8(ascii: "l"),
                    text[at + 3] == UInt8(ascii: "l")
                else { return false }
                cell.kind = .null
                at += 4
            } else {
                return false
            }
            // A name given twice: its last value, as merging the members by name gives.
            if column >= 0 { cells[column] = cell }
            place += 1
            at = Self.skipSpace(text, from: at)
            guard at < count else { return false }
            if text[at] == UInt8(ascii: ",") {
                at = Self.skipSpace(text, from: at + 1)
            } else if text[at] == UInt8(ascii: "}") {
                return Self.skipSpace(text, from: at + 1) == count
            } else {
                return false
            }
        }
    }

    /// The column the member named `key` fills, or -1.
    private mutating func column(_ key: UnsafeRawBufferPointer, place: Int) -> Int {
        if place < order.count, isKey(order[place], key) { return keys[order[place]].column }
        var found = keys.indices.first { isKey($0, key) }
        if found == nil {
            let column = columnOfName[String(decoding: key, as: UTF8.self)] ?? -1
            guard keys.count < Self.maxKeys else { return column }
            keys.append(Key(start: keyText.count, end: keyText.count + key.count, column: column))
            keyText.append(contentsOf: key)
            found = keys.count - 1
        }
        guard let found else { return -1 }
        if place < order.count {
            order[place] = found
        } else if place == order.count {
            order.append(found)
        }
        return keys[found].column
    }

    /// Whether kept key `index` has these bytes.
    @inline(__always)
    private func isKey(_ index: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let kept = keys[index]
        guard kept.end - kept.start == key.count else { return false }
        return key.isEmpty || keyText.withUnsafeBytes { memcmp($0.baseAddress! + kept.start, key.baseAddress!, key.count) == 0 }
    }

    @inline(__always)
    private static func skipSpace(_ text: UnsafeRawBufferPointer, from start: Int) -> Int {
        var at = start
        while at < text.count, text[at] == 0x20 || text[at] == 0x0a || text[at] == 0x0d || text[at] == 0x09 { at += 1 }
        return at
    }

    /// What `\` + `letter` gives in `COPY` text: the byte itself, or (for those `COPY`
    /// escapes) its escape. Nil for `\u` and bad escapes.
    @inline(__always)
    private static func escaped(_ letter: UInt8) -> (UInt8, UInt8?)? {
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "/"): (letter, nil)
        case UInt8(ascii: "\\"): (UInt8(ascii: "\\"), UInt8(ascii: "\\"))
        case UInt8(ascii: "n"): (UInt8(ascii: "\\"), UInt8(ascii: "n"))
        case UInt8(ascii: "r"): (UInt8(ascii: "\\"), UInt8(ascii: "r"))
        case UInt8(ascii: "t"): (UInt8(ascii: "\\"), UInt8(ascii: "t"))
        case UInt8(ascii: "b"): (0x08, nil)
        case UInt8(ascii: "f"): (0x0c, nil)
        default: nil
        }
    }

    /// A JSON string's text (escapes checked by `read`) as the `COPY` text of the string
    /// it stands for: runs between escapes copied whole.
    private static func writeUnescaped(_ text: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        var from = 0
        while from < text.count {
            let run = min(JSONMembersReader.stop(text, from: from), text.count)
            if run > from { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: text[from..<run])) }
            guard run + 1 < text.count, let (byte, next) = escaped(text[run + 1]) else { return }
            buffer.writeInteger(byte)
            if let next { buffer.writeInteger(next) }
            from = run + 2
        }
    }
}
