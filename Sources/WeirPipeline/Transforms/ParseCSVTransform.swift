import WeirValues

/// `parse_csv`: one line of delimiter-separated values (RFC 4180 quoting) becomes one
/// field per column, as text or typed.
///
/// The column names are given, never read from a header line: "the first line this
/// transform sees" is not the file's first line once a pipeline restarts from a commit,
/// or runs members that share the partitions, or reads several files into one topic. A
/// header line is dropped instead when `skip_header` is set and its values are the names.
struct ParseCSVTransform: RecordTransform {
    var processesRecordsIndependently: Bool { true }
    /// What happens to a line with more values than columns.
    enum Extra: String, Sendable {
        /// It fails.
        case fail
        /// The values after the last column are dropped.
        case ignore
        /// The last column takes the rest of the line: its value as usual when the rest
        /// is one value, else the text as written from where the value starts (for
        /// `id|level|message` lines whose message may hold the delimiter).
        case rest
    }

    /// What happens to a line with fewer values than columns.
    enum Missing: String, Sendable {
        /// It fails.
        case fail
        /// The columns without a value are left out.
        case ignore
        /// The columns without a value are null.
        case null
    }

    let field: String
    let columns: [String]
    /// By column; nil for a column kept as text.
    let types: [CSVColumnType?]
    let splitter: CSVSplitter
    let extra: Extra
    let missing: Missing
    /// The names' UTF-8, when a line holding exactly them is dropped.
    let header: [[UInt8]]?
    /// Whether the names differ from each other and from `field`: a record holding only
    /// `field` (a line as read) gets its columns appended without a search for each name.
    let distinctNames: Bool

    init(
        field: String, columns: [String], types: [CSVColumnType?], splitter: CSVSplitter, extra: Extra, missing: Missing,
        skipHeader: Bool
    ) {
        self.field = field
        self.columns = columns
        self.types = types
        self.splitter = splitter
        self.extra = extra
        self.missing = missing
        header = skipHeader ? columns.map { Array($0.utf8) } : nil
        distinctNames = Set(columns).count == columns.count && !columns.contains(field)
    }

    /// What became of one record.
    enum Outcome {
        case parsed
        /// The header line, dropped.
        case header
        case failed(String)
    }

    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        var records = batch
        var result = TransformResult()
        var spans: [CSVSplitter.Span] = []
        spans.reserveCapacity(columns.count + 1)
        var typed: [Value] = []
        records.removeAll(inPlace: { record in
            switch parse(&record, spans: &spans, typed: &typed) {
            case .parsed: return false
            case .header: return true
            case .failed(let reason):
                result.fail(record, reason)
                return true
            }
        })
        if !records.isEmpty { result.outputs[""] = records }
        return result
    }

    /// Splits the record's field and sets the columns; a failed record is left as it was.
    /// `spans` and `typed` are scratch space kept between records.
    func parse(_ record: inout PipelineRecord, spans: inout [CSVSplitter.Span], typed: inout [Value]) -> Outcome {
        guard let line = record.utf8Bytes(field) else { return .failed("parse_csv: field '\(field)' is not a string") }
        spans.removeAll(keepingCapacity: true)
        if let failure = split(line, into: &spans) { return .failed(failure) }
        if spans.count > columns.count {
            return .failed("parse_csv: '\(field)' has \(spans.count) values for \(columns.count) columns")
        }
        if spans.count < columns.count && missing == .fail {
            return .failed("parse_csv: '\(field)' has \(spans.count) value\(spans.count == 1 ? "" : "s") for \(columns.count) columns")
        }
        if let header, spans.count == header.count, zip(spans, header).allSatisfy({ value(line, $0).elementsEqual($1) }) {
            return .header
        }
        // Typed values first, so a value that does not convert leaves the record as it was.
        typed.removeAll(keepingCapacity: true)
        for (column, span) in spans.enumerated() {
            guard let type = types[column] else { continue }
            let text = value(line, span)
            guard let converted = type.value(text) else {
                return .failed(
                    "parse_csv: column '\(columns[column])' is not \(type == .int ? "an" : "a") \(type.rawValue): \(Self.quoted(text))")
            }
            typed.append(converted)
        }
        let fresh = distinctNames && record.fields.count == 1
        var nextTyped = 0
        for (column, span) in spans.enumerated() {
            if types[column] != nil {
                record.fields[columns[column]] = typed[nextTyped]
                nextTyped += 1
            } else if fresh {
                record.fields.appendText(columns[column], value(line, span))
            } else {
                record.fields.setText(columns[column], value(line, span))
            }
        }
        if missing == .null {
            for column in spans.count..<columns.count { record.fields[columns[column]] = .null }
        }
        return .parsed
    }

    /// Fills `spans` as `extra` says; the reason when the line does not split.
    func split(_ line: ArraySlice<UInt8>, into spans: inout [CSVSplitter.Span]) -> String? {
        let outcome = line.withUnsafeBufferPointer { buffer -> CSVSplitter.Outcome in
            switch extra {
            case .fail: return splitter.split(buffer, from: 0, limit: Int.max, into: &spans)
            case .ignore: return splitter.split(buffer, from: 0, limit: columns.count, into: &spans)
            case .rest: return splitRest(buffer, into: &spans)
            }
        }
        switch outcome {
        case .ended, .more: return nil
        case .unclosedQuote(let value): return "parse_csv: value \(value) of '\(field)' has no closing quote"
        case .textAfterQuote(let value): return "parse_csv: value \(value) of '\(field)' has text after its closing quote"
        }
    }

    /// The columns before the last as usual; the last one the rest of the line (see `Extra.rest`).
    func splitRest(_ line: UnsafeBufferPointer<UInt8>, into spans: inout [CSVSplitter.Span]) -> CSVSplitter.Outcome {
        var restStart = 0
        if columns.count > 1 {
            let head = splitter.split(line, from: 0, limit: columns.count - 1, into: &spans)
            guard case .more(let offset) = head else { return head }
            restStart = offset
        }
        let before = spans.count
        if splitter.split(line, from: restStart, limit: before + 1, into: &spans) == .ended { return .ended }
        spans.removeSubrange(before...)
        var end = line.count
        if splitter.trim { while end > restStart && splitter.isBlank(line[end - 1]) { end -= 1 } }
        let start = splitter.trim ? min(splitter.skipBlanks(line, from: restStart), end) : restStart
        spans.append(CSVSplitter.Span(start: start, end: end, rawStart: restStart, doubledQuotes: false))
        return .ended
    }

    /// The text of a value: a slice of the line, unless it holds doubled quotes.
    func value(_ line: ArraySlice<UInt8>, _ span: CSVSplitter.Span) -> ArraySlice<UInt8> {
        let text = line[(line.startIndex + span.start)..<(line.startIndex + span.end)]
        return span.doubledQuotes ? splitter.undoubled(text) : text
    }

    /// A value for a reason: quoted, and cut after 64 bytes.
    static func quoted(_ text: ArraySlice<UInt8>) -> String {
        let shown = String(decoding: text.prefix(64), as: UTF8.self)
        return "'" + shown + (text.count > 64 ? "…'" : "'")
    }
}
