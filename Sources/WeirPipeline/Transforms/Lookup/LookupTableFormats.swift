import WeirValues

/// The lines of a table file that hold something, numbered from 1 as an editor shows them.
typealias LookupLines = [(number: Int, text: ArraySlice<UInt8>)]

extension LookupTableSpec {
    /// A CSV table: a header line naming the columns, then one row per line, split as
    /// RFC 4180 says (`CSVSplitter`, comma and double quote). A quoted value may not run
    /// over a line break: each row is one line, so an error names the line it is on.
    func parseCSV(_ lines: LookupLines) throws(LookupLoadError) -> (LookupIndex, [Fields]) {
        guard let header = lines.first else { throw failure(nil, "has no header line (a CSV table's first line names its columns)") }
        let splitter = CSVSplitter(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\""), trim: false)
        var spans: [CSVSplitter.Span] = []
        func cells(_ line: (number: Int, text: ArraySlice<UInt8>)) throws(LookupLoadError) -> [ArraySlice<UInt8>] {
            spans.removeAll(keepingCapacity: true)
            let outcome = line.text.withUnsafeBufferPointer { splitter.split($0, from: 0, limit: Int.max, into: &spans) }
            switch outcome {
            case .ended, .more: break
            case .unclosedQuote(let value): throw failure(line.number, "value \(value) has no closing quote")
            case .textAfterQuote(let value): throw failure(line.number, "value \(value) has text after its closing quote")
            }
            return spans.map { span in
                let text = line.text[(line.text.startIndex + span.start)..<(line.text.startIndex + span.end)]
                return span.doubledQuotes ? splitter.undoubled(text) : text
            }
        }
        let names = try cells(header).map { String(decoding: $0, as: UTF8.self) }
        if let twice = names.enumerated().first(where: { names[..<$0.offset].contains($0.element) })?.element {
            throw failure(header.number, "the header names the column '\(twice)' twice")
        }
        guard let keyColumn = names.firstIndex(of: key) else { throw failure(header.number, "the header has no column '\(key)' (key)") }
        for name in (columns ?? []) + types.keys.sorted() where !names.contains(name) {
            throw failure(header.number, "the header has no column '\(name)' (\(columns?.contains(name) == true ? "columns" : "types"))")
        }
        let kept = names.indices.filter { keeps(names[$0]) }
        var index = LookupIndex(capacity: lines.count - 1)
        var rows: [Fields] = []
        var rowLines: [Int] = []
        rows.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            let values = try cells(line)
            guard values.count == names.count else {
                throw failure(
                    line.number, "has \(values.count) value\(values.count == 1 ? "" : "s") for the header's \(names.count) columns")
            }
            var row = Fields(minimumCapacity: kept.count)
            for column in kept {
                let name = names[column]
                guard let type = types[name], type != .string else {
                    row[name] = .string(String(decoding: values[column], as: UTF8.self))
                    continue
                }
                guard let value = type.value(values[column]) else {
                    throw failure(
                        line.number,
                        "column '\(name)' is not \(type == .int ? "an" : "a") \(type.rawValue): \(ParseCSVTransform.quoted(values[column]))"
                    )
                }
                row[name] = value
            }
            try add(values[keyColumn], row, line: line.number, to: &index, rows: &rows, lines: &rowLines)
        }
        return (index, rows)
    }

    /// A JSON-lines table: one JSON object per line, its key the string form of the member
    /// `key` (a string, number or bool), its other members (or `columns`) the row as they are.
    func parseJSONLines(_ lines: LookupLines) throws(LookupLoadError) -> (LookupIndex, [Fields]) {
        var index = LookupIndex(capacity: lines.count)
        var rows: [Fields] = []
        var rowLines: [Int] = []
        rows.reserveCapacity(lines.count)
        for line in lines {
            let value: Value
            do {
                value = try JSONValueParser.parse(Array(line.text))
            } catch {
                throw failure(line.number, "is not JSON: \(error)")
            }
            guard case .object(let members) = value else {
                throw failure(line.number, "is \(value.typeName == "array" ? "an" : "a") \(value.typeName), not a JSON object")
            }
            guard let keyValue = members[key] else { throw failure(line.number, "has no member '\(key)' (key)") }
            guard let keyText = LookupTransform.keyText(keyValue) else {
                throw failure(line.number, "has \(keyValue.typeName) '\(key)', not a string, number or bool")
            }
            var row = Fields(minimumCapacity: members.count)
            for (name, member) in members where keeps(name) { row[name] = member }
            try add(Array(keyText.utf8)[...], row, line: line.number, to: &index, rows: &rows, lines: &rowLines)
        }
        return (index, rows)
    }
}
