/// A line of nginx's error log:
/// `2026/12/04 10:00:00 [error] 1234#5678: *9 message, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"`.
/// The time has no zone: it is read as UTC. The `, name: value` pairs nginx appends
/// about the request (client, server, request, upstream, host, referrer…) are taken
/// apart when they parse cleanly, else left in the message. Ranges are offsets into the
/// bytes parsed.
struct NginxErrorLine: Sendable, Equatable {
    var timestamp: Int64
    var level: Range<Int>
    var pid: Int64
    var tid: Int64
    /// The connection number (`*9`), when the message is about one.
    var connection: Int64?
    var message: Range<Int>
    var context: [Pair] = []

    struct Pair: Sendable, Equatable {
        var name: Range<Int>
        var value: QuotedText
    }

    static func parse(buffer: UnsafeBufferPointer<UInt8>) -> Result<NginxErrorLine, FormatError> {
        var scanner = ByteScanner(buffer)
        do throws(FormatError) {
            return .success(try scanner.nginxErrorLine())
        } catch {
            return .failure(error)
        }
    }
}

extension ByteScanner {
    fileprivate mutating func nginxErrorLine() throws(FormatError) -> NginxErrorLine {
        guard !atEnd else { throw FormatError("the line is empty") }
        guard let year = digits(4), skip(UInt8(ascii: "/")), let month = digits(2), skip(UInt8(ascii: "/")), let day = digits(2),
            skip(UInt8(ascii: " ")), let second = clock(), (1...12).contains(month),
            (1...CivilTime.daysIn(month: month, year: year)).contains(day)
        else { throw malformed("time", from: 0, limit: 19, expected: "yyyy/mm/dd hh:mm:ss") }
        let timestamp = CivilTime.millis(year: year, month: month, day: day, second: second, millis: 0)
        guard skip(" ["), case let level = take(while: { $0 != UInt8(ascii: "]") && $0 != UInt8(ascii: " ") }), !level.isEmpty,
            skip("] ")
        else { throw FormatError("no [level] after the time") }
        guard let pid = number(upTo: 18), skip(UInt8(ascii: "#")), let tid = number(upTo: 18), skip(UInt8(ascii: ":")) else {
            throw FormatError("no pid#tid: after the level, but \(excerpt(from: at))")
        }
        _ = skip(UInt8(ascii: " "))
        var line = NginxErrorLine(timestamp: timestamp, level: level, pid: pid, tid: tid, message: at..<bytes.count)
        let star = at
        if skip(UInt8(ascii: "*")) {
            if let connection = number(upTo: 18), skip(UInt8(ascii: " ")) {
                line.connection = connection
            } else {
                at = star
            }
        }
        let start = at
        line.message = start..<bytes.count
        if let (end, pairs) = context(from: start) {
            line.message = start..<end
            line.context = pairs
        }
        return line
    }

    /// The `, client: …` pairs ending the line, and where they start; nil when there
    /// are none or they do not parse (they stay in the message).
    private mutating func context(from start: Int) -> (Int, [NginxErrorLine.Pair])? {
        let marker = Array(", client: ".utf8)
        var begin = start
        while begin + marker.count <= bytes.count {
            if bytes[begin] == marker[0], zip(marker.indices, marker).allSatisfy({ bytes[begin + $0] == $1 }) { break }
            begin += 1
        }
        guard begin + marker.count <= bytes.count else { return nil }
        at = begin
        var pairs: [NginxErrorLine.Pair] = []
        while skip(", ") {
            let name = take { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_") }
            guard !name.isEmpty, skip(": ") else { return nil }
            if peek == UInt8(ascii: "\"") {
                guard let value = try? quoted("value") else { return nil }
                pairs.append(NginxErrorLine.Pair(name: name, value: value))
            } else {
                let valueStart = at
                while at < bytes.count, !(bytes[at] == UInt8(ascii: ",") && at + 1 < bytes.count && bytes[at + 1] == UInt8(ascii: " ")) {
                    at += 1
                }
                pairs.append(NginxErrorLine.Pair(name: name, value: QuotedText(range: valueStart..<at, escaped: false)))
            }
        }
        return atEnd ? (begin, pairs) : nil
    }
}
