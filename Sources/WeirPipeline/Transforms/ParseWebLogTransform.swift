import WeirValues

/// `parse_apache_log` and `parse_nginx_log`: a web server's access or error log line in
/// a field becomes fields, and its time the record's timestamp (see `AccessLogLine`,
/// `ApacheErrorLine`, `NginxErrorLine`).
struct ParseWebLogTransform: FieldParser {
    enum Format: String, Sendable {
        case common, combined, apacheError, nginxError
    }

    /// `parse_apache_log` or `parse_nginx_log`, for reasons.
    let type: String
    let field: String
    let format: Format

    var notAString: String { "\(type): field '\(field)' is not a string" }

    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        parseBytesEach(batch) { parse($0, into: &$1) }
    }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        parsedFields(text) { parse($0, into: &$1) }
    }

    func parse(_ bytes: ArraySlice<UInt8>, into record: inout PipelineRecord) -> ParseFailure? {
        let writer = ParsedFieldWriter(bytes: bytes, field: field, record: record)
        let failure: FormatError?
        switch format {
        case .common, .combined:
            switch bytes.withUnsafeBufferPointer({ AccessLogLine.parse(buffer: $0, combined: format == .combined) }) {
            case .success(let line):
                write(line, writer, &record)
                failure = nil
            case .failure(let error): failure = error
            }
        case .apacheError:
            switch bytes.withUnsafeBufferPointer(ApacheErrorLine.parse) {
            case .success(let line):
                write(line, writer, &record)
                failure = nil
            case .failure(let error): failure = error
            }
        case .nginxError:
            switch bytes.withUnsafeBufferPointer(NginxErrorLine.parse) {
            case .success(let line):
                write(line, writer, &record)
                failure = nil
            case .failure(let error): failure = error
            }
        }
        return failure.map { ParseFailure(reason: "\(type): '\(field)' is not a \(formatName) line: \($0)") }
    }

    var formatName: String {
        switch format {
        case .common: "common log format"
        case .combined: "combined log format"
        case .apacheError, .nginxError: "error log"
        }
    }

    private func write(_ line: AccessLogLine, _ writer: ParsedFieldWriter, _ record: inout PipelineRecord) {
        writer.text("client", line.client, &record.fields)
        writer.text("ident", line.ident, &record.fields)
        writer.text("user", line.user, &record.fields)
        writer.timestamp(line.timestamp, &record)
        writeRequest(line.request, writer, &record.fields)
        writer.int("status", line.status, &record.fields)
        writer.int("bytes", line.bytes, &record.fields)
        writer.quoted("referer", line.referer, &record.fields)
        writer.quoted("agent", line.agent, &record.fields)
    }

    /// `METHOD PATH PROTOCOL` as three fields (`METHOD PATH`, HTTP/0.9's, as two); `-`
    /// as none; anything else (a client speaking TLS to the HTTP port) as `request`.
    private func writeRequest(_ request: QuotedText, _ writer: ParsedFieldWriter, _ fields: inout Fields) {
        let raw = writer.slice(request.range)
        if raw.count == 1 && raw.first == UInt8(ascii: "-") { return }
        let parts = raw.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            writer.set("request", request.escaped ? QuotedText.unescaped(raw) : raw, &fields)
            return
        }
        for (name, part) in zip(["method", "path", "protocol"], parts) {
            writer.set(name, request.escaped ? QuotedText.unescaped(part) : part, &fields)
        }
    }

    private func write(_ line: ApacheErrorLine, _ writer: ParsedFieldWriter, _ record: inout PipelineRecord) {
        writer.timestamp(line.timestamp, &record)
        writer.text("level", line.level, &record.fields)
        writer.text("module", line.module, &record.fields)
        writer.int("pid", line.pid, &record.fields)
        writer.int("tid", line.tid, &record.fields)
        writer.text("client", line.client, &record.fields)
        writer.text("message", line.message, &record.fields)
    }

    private func write(_ line: NginxErrorLine, _ writer: ParsedFieldWriter, _ record: inout PipelineRecord) {
        writer.timestamp(line.timestamp, &record)
        writer.text("level", line.level, &record.fields)
        writer.int("pid", line.pid, &record.fields)
        writer.int("tid", line.tid, &record.fields)
        writer.int("connection", line.connection, &record.fields)
        writer.text("message", line.message, &record.fields)
        for pair in line.context {
            // Names come from the line: one may repeat or be the parsed field's own.
            let name = String(decoding: writer.slice(pair.name), as: UTF8.self)
            let value = writer.slice(pair.value.range)
            record.fields.setText(name, pair.value.escaped ? QuotedText.unescaped(value) : value)
        }
    }
}
