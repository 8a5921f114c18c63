import WeirValues

/// `parse_syslog`: an RFC 5424 or RFC 3164 message in a field becomes fields, and its
/// time the record's timestamp (see `SyslogMessage`).
struct ParseSyslogTransform: FieldParser {
    let field: String
    let format: SyslogMessage.Format
    /// Milliseconds since the epoch now, read once a batch: RFC 3164 dates take their
    /// year from it.
    let now: @Sendable () -> Int64

    init(field: String, format: SyslogMessage.Format, now: @escaping @Sendable () -> Int64 = SyslogMessage.currentMillis) {
        self.field = field
        self.format = format
        self.now = now
    }

    var notAString: String { "parse_syslog: field '\(field)' is not a string" }

    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        let now = now()
        return parseBytesEach(batch) { parse($0, into: &$1, now: now) }
    }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        parsedFields(text) { parse($0, into: &$1, now: now()) }
    }

    func parse(_ bytes: ArraySlice<UInt8>, into record: inout PipelineRecord, now: Int64) -> ParseFailure? {
        let parsed = bytes.withUnsafeBufferPointer { SyslogMessage.parse(buffer: $0, format: format, now: now) }
        let message: SyslogMessage
        switch parsed {
        case .success(let value): message = value
        case .failure(let error): return ParseFailure(reason: "parse_syslog: '\(field)' is not syslog: \(error)")
        }
        let writer = ParsedFieldWriter(bytes: bytes, field: field, record: record)
        if let facility = message.facility, let severity = message.severity {
            writer.int("facility", Int64(facility), &record.fields)
            writer.int("severity", Int64(severity), &record.fields)
            record.fields["facility_name"] = .string(SyslogNames.facilities[facility])
            record.fields["severity_name"] = .string(SyslogNames.severities[severity])
        }
        writer.timestamp(message.timestamp, &record)
        writer.text("host", message.host, &record.fields)
        writer.text("app", message.app, &record.fields)
        writer.text("procid", message.procid, &record.fields)
        writer.text("msgid", message.msgid, &record.fields)
        if !message.structuredData.isEmpty {
            var elements = Fields(minimumCapacity: message.structuredData.count)
            for element in message.structuredData {
                elements[element.id] = .object(Fields(element.params.map { ($0.name, Value.string($0.value)) }))
            }
            record.fields["structured_data"] = .object(elements)
        }
        writer.text("message", message.message, &record.fields)
        return nil
    }
}
