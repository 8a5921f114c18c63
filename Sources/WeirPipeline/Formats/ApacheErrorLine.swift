/// A line of Apache's error log, in 2.2's form
/// (`[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] message`) or 2.4's
/// (`[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] message`).
/// The time has no zone: it is read as UTC. Ranges are offsets into the bytes parsed.
struct ApacheErrorLine: Sendable, Equatable {
    var timestamp: Int64
    var level: Range<Int>
    /// 2.4's module before the level (`core`), when named.
    var module: Range<Int>?
    var pid: Int64?
    var tid: Int64?
    var client: Range<Int>?
    var message: Range<Int>

    static func parse(buffer: UnsafeBufferPointer<UInt8>) -> Result<ApacheErrorLine, FormatError> {
        var scanner = ByteScanner(buffer)
        do throws(FormatError) {
            return .success(try scanner.apacheErrorLine())
        } catch {
            return .failure(error)
        }
    }
}

extension ByteScanner {
    fileprivate mutating func apacheErrorLine() throws(FormatError) -> ApacheErrorLine {
        guard !atEnd else { throw FormatError("the line is empty") }
        let timestamp = try apacheTime()
        guard skip(UInt8(ascii: " ")), skip(UInt8(ascii: "[")) else { throw FormatError("no [level] after the time") }
        let tag = take { $0 != UInt8(ascii: "]") && $0 != UInt8(ascii: " ") }
        guard skip(UInt8(ascii: "]")), !tag.isEmpty else { throw FormatError("the level \(excerpt(from: tag.lowerBound - 1)) has no ']'") }
        var line = ApacheErrorLine(timestamp: timestamp, level: tag, message: tag.upperBound..<tag.upperBound)
        if let colon = tag.firstIndex(where: { bytes[$0] == UInt8(ascii: ":") }) {
            line.module = colon > tag.lowerBound ? tag.lowerBound..<colon : nil
            line.level = (colon + 1)..<tag.upperBound
        }
        guard !line.level.isEmpty else { throw FormatError("the level is empty") }
        _ = skip(UInt8(ascii: " "))
        if skip("[pid ") {
            guard let pid = number(upTo: 18) else { throw FormatError("the pid in \(excerpt(from: at - 5)) is not a number") }
            line.pid = pid
            if skip(":tid ") {
                guard let tid = number(upTo: 18) else { throw FormatError("the tid in \(excerpt(from: at - 5)) is not a number") }
                line.tid = tid
            }
            guard skip(UInt8(ascii: "]")) else { throw FormatError("[pid …] is not closed by ']'") }
            _ = skip(UInt8(ascii: " "))
        }
        if skip("[client ") {
            let client = take { $0 != UInt8(ascii: "]") && $0 != UInt8(ascii: " ") }
            guard !client.isEmpty, skip(UInt8(ascii: "]")) else { throw FormatError("[client …] is not closed by ']'") }
            line.client = client
            _ = skip(UInt8(ascii: " "))
        }
        line.message = at..<bytes.count
        return line
    }

    /// `[Sun Dec 04 04:47:44 2005]` or with microseconds, `[Wed Oct 11 14:32:52.123456 2000]`.
    private mutating func apacheTime() throws(FormatError) -> Int64 {
        let start = at
        guard skip(UInt8(ascii: "[")), take(while: Self.isLetter).count == 3, skip(UInt8(ascii: " ")), let month = month(),
            skip(UInt8(ascii: " "))
        else { throw malformed("time", from: start, limit: 34, expected: "[Www Mmm dd hh:mm:ss yyyy]") }
        skipSpaces()
        guard let day = number(upTo: 2), skip(UInt8(ascii: " ")), let second = clock() else {
            throw malformed("time", from: start, limit: 34, expected: "[Www Mmm dd hh:mm:ss yyyy]")
        }
        let millis = fractionMillis()
        guard skip(UInt8(ascii: " ")), let year = digits(4), skip(UInt8(ascii: "]")),
            (1...CivilTime.daysIn(month: month, year: year)).contains(Int(day))
        else { throw malformed("time", from: start, limit: 34, expected: "[Www Mmm dd hh:mm:ss yyyy]") }
        return CivilTime.millis(year: year, month: month, day: Int(day), second: second, millis: millis)
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") }
}
