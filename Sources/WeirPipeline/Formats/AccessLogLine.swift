/// A line of an access log in the Common or Combined Log Format, as Apache (`common`,
/// `combined`) and nginx (`combined`) write them:
/// `client ident user [10/Oct/2000:13:55:36 -0700] "request" status bytes ["referer" "agent"]`.
/// Ranges are offsets into the bytes parsed.
struct AccessLogLine: Sendable, Equatable {
    var client: Range<Int>
    /// nil for `-`, as for `user`, `referer` and `agent`.
    var ident: Range<Int>?
    var user: Range<Int>?
    /// Milliseconds since the epoch, the zone applied.
    var timestamp: Int64
    /// The request line as quoted: `GET /index.html HTTP/1.1`, or `-` when the client
    /// sent none.
    var request: QuotedText
    var status: Int64
    /// `-` (nothing sent) is 0.
    var bytes: Int64
    var referer: QuotedText?
    var agent: QuotedText?

    /// Parses a line; `combined` takes a referer and agent after the byte count, but
    /// also a line that ends there (a common-format line), since both formats share
    /// their start and servers mix them across virtual hosts. `common` refuses anything
    /// after the byte count: a combined line read as common would lose its end silently.
    static func parse(buffer: UnsafeBufferPointer<UInt8>, combined: Bool) -> Result<AccessLogLine, FormatError> {
        var scanner = ByteScanner(buffer)
        do throws(FormatError) {
            return .success(try scanner.accessLogLine(combined: combined))
        } catch {
            return .failure(error)
        }
    }
}

extension ByteScanner {
    fileprivate mutating func accessLogLine(combined: Bool) throws(FormatError) -> AccessLogLine {
        guard !atEnd else { throw FormatError("the line is empty") }
        let client = word()
        guard !client.isEmpty else { throw FormatError("the line starts with a space, not a client address") }
        let ident = try dashable("ident")
        let user = try dashable("user")
        guard skip(UInt8(ascii: " ")) else { throw FormatError("no [time] after the user") }
        let timestamp = try accessTime()
        guard skip(UInt8(ascii: " ")) else { throw FormatError("no request after the time") }
        let request = try quoted("request")
        guard skip(UInt8(ascii: " ")), let status = number(upTo: 3) else {
            throw FormatError("no status code after the request, but \(excerpt(from: at))")
        }
        guard skip(UInt8(ascii: " ")) else { throw FormatError("no byte count after the status") }
        var sent: Int64 = 0
        if !skip(UInt8(ascii: "-")) {
            guard let count = number(upTo: 18) else { throw FormatError("the byte count \(excerpt(from: at)) is not a number") }
            sent = count
        }
        var line = AccessLogLine(
            client: client, ident: ident, user: user, timestamp: timestamp, request: request, status: status, bytes: sent)
        guard !endsBlank() else { return line }
        guard combined else { throw FormatError("unexpected \(excerpt(from: at)) after the byte count of a common-format line") }
        line.referer = nonDash(try quoted("referer"))
        guard skip(UInt8(ascii: " ")) else { throw FormatError("no user agent after the referer") }
        line.agent = nonDash(try quoted("user agent"))
        guard endsBlank() else { throw FormatError("unexpected \(excerpt(from: at)) after the user agent") }
        return line
    }

    /// ` word`, nil for `-`.
    private mutating func dashable(_ name: String) throws(FormatError) -> Range<Int>? {
        guard skip(UInt8(ascii: " ")) else { throw FormatError("no \(name) after \(excerpt(from: 0, limit: at))") }
        let value = word()
        guard !value.isEmpty else { throw FormatError("the \(name) is empty") }
        return isDash(value) ? nil : value
    }

    func isDash(_ range: Range<Int>) -> Bool { range.count == 1 && bytes[range.lowerBound] == UInt8(ascii: "-") }

    private func nonDash(_ text: QuotedText) -> QuotedText? { isDash(text.range) ? nil : text }

    /// `[10/Oct/2000:13:55:36 -0700]` as milliseconds since the epoch, UTC.
    private mutating func accessTime() throws(FormatError) -> Int64 {
        let start = at
        guard skip(UInt8(ascii: "[")), let day = digits(2), skip(UInt8(ascii: "/")), let month = month(), skip(UInt8(ascii: "/")),
            let year = digits(4), skip(UInt8(ascii: ":")), let second = clock(),
            (1...CivilTime.daysIn(month: month, year: year)).contains(day)
        else { throw malformed("time", from: start, limit: 28, expected: "[dd/Mmm/yyyy:hh:mm:ss ±hhmm]") }
        let millis = fractionMillis()
        guard skip(UInt8(ascii: " ")), let sign = peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else {
            throw malformed("time", from: start, limit: 28, expected: "[dd/Mmm/yyyy:hh:mm:ss ±hhmm]")
        }
        at += 1
        guard let hours = digits(2), let minutes = digits(2), skip(UInt8(ascii: "]")), minutes < 60 else {
            throw malformed("time", from: start, limit: 28, expected: "[dd/Mmm/yyyy:hh:mm:ss ±hhmm]")
        }
        let offset = Int64((hours * 60 + minutes) * 60_000) * (sign == UInt8(ascii: "-") ? -1 : 1)
        let utc = CivilTime.millis(year: year, month: month, day: day, second: second, millis: millis) - offset
        guard CivilTime.writable.contains(utc) else {
            throw malformed("time", from: start, limit: 28, expected: "[dd/Mmm/yyyy:hh:mm:ss ±hhmm]")
        }
        return utc
    }
}
