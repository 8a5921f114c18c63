import WeirValues

/// Sets the fields a format parser found (`parse_syslog`, `parse_apache_log`,
/// `parse_nginx_log`) on a record: text as slices of the bytes parsed, so nothing is
/// decoded or copied, numbers as integers.
struct ParsedFieldWriter {
    /// The bytes parsed: ranges are offsets from their start.
    let bytes: ArraySlice<UInt8>
    /// The field parsed, which a parsed field of the same name replaces.
    let field: String
    /// Whether the record holds only the parsed field (a line as read): names that
    /// differ from it are added without looking for a field of that name. The parsers'
    /// names differ from each other.
    let fresh: Bool

    init(bytes: ArraySlice<UInt8>, field: String, record: PipelineRecord) {
        self.bytes = bytes
        self.field = field
        fresh = record.fields.count == 1
    }

    func slice(_ range: Range<Int>) -> ArraySlice<UInt8> {
        bytes[(bytes.startIndex + range.lowerBound)..<(bytes.startIndex + range.upperBound)]
    }

    func text(_ name: String, _ range: Range<Int>?, _ fields: inout Fields) {
        guard let range else { return }
        set(name, slice(range), &fields)
    }

    func set(_ name: String, _ text: ArraySlice<UInt8>, _ fields: inout Fields) {
        if fresh && name != field { fields.appendText(name, text) } else { fields.setText(name, text) }
    }

    /// A quoted field, its `\"` and `\\` unescaped.
    func quoted(_ name: String, _ text: QuotedText?, _ fields: inout Fields) {
        guard let text else { return }
        let raw = slice(text.range)
        set(name, text.escaped ? QuotedText.unescaped(raw) : raw, &fields)
    }

    func int(_ name: String, _ value: Int64?, _ fields: inout Fields) {
        guard let value else { return }
        fields[name] = .int(value)
    }

    /// `timestamp` as RFC 3339 (UTC, milliseconds), and the record's timestamp.
    func timestamp(_ millis: Int64?, _ record: inout PipelineRecord) {
        guard let millis else { return }
        set("timestamp", CivilTime.rfc3339(millis), &record.fields)
        record.timestamp = millis
    }
}

extension FieldParser {
    /// Runs `parse` on the bytes of each record's field: the bytes as read when they are
    /// ASCII, else the string's UTF-8 (so what a parser slices is valid UTF-8).
    func parseBytesEach(_ batch: consuming [PipelineRecord], _ parse: (ArraySlice<UInt8>, inout PipelineRecord) -> ParseFailure?)
        -> TransformResult
    {
        parseEach(batch) { record in
            if let bytes = record.fields.asciiText(field) { return parse(bytes, &record) }
            guard case .string(let text) = record[field: field] else { return ParseFailure(reason: notAString) }
            return parse(ArraySlice(text.utf8), &record)
        }
    }

    /// The fields a bytes parser gives a text, for callers of `parse(_: String)`.
    func parsedFields(_ text: String, _ parse: (ArraySlice<UInt8>, inout PipelineRecord) -> ParseFailure?)
        -> Result<[(String, Value)], ParseFailure>
    {
        var record = PipelineRecord(timestamp: 0, fields: Fields())
        if let failure = parse(ArraySlice(text.utf8), &record) { return .failure(failure) }
        return .success(record.fields.map { ($0.key, $0.value) })
    }
}
