import Foundation

/// A syslog message, RFC 5424 or RFC 3164 (BSD, the lines syslog daemons write to
/// files, with or without `<PRI>`), parsed from its bytes.
///
/// A pure function of the bytes (and, for RFC 3164's year-less dates, of the time now):
/// `parse_syslog` uses it on a field, and a network source can use it on a datagram.
/// Text parts are ranges of the bytes parsed, as offsets from their start, so a caller
/// slices its own storage and nothing is copied; only structured-data values, which
/// may hold escapes, are made into strings.
struct SyslogMessage: Sendable, Equatable {
    enum Format: String, Sendable {
        case auto, rfc5424, rfc3164
    }

    /// `.rfc5424` or `.rfc3164`: the format the message was read as.
    var format: Format
    /// `facility * 8 + severity`, 0 to 191, when the message has a PRI.
    var priority: Int?
    /// Milliseconds since the epoch, UTC; nil for RFC 5424's `-`.
    var timestamp: Int64?
    var host: Range<Int>?
    var app: Range<Int>?
    var procid: Range<Int>?
    var msgid: Range<Int>?
    /// RFC 5424's SD-ELEMENTs in the order written.
    var structuredData: [Element] = []
    /// The MSG part, after a UTF-8 BOM if there was one; nil when the message ends
    /// before it (RFC 5424 allows that).
    var message: Range<Int>?

    var facility: Int? { priority.map { $0 >> 3 } }
    var severity: Int? { priority.map { $0 & 7 } }

    /// An SD-ELEMENT: `[id name="value" …]`, the values unescaped.
    struct Element: Sendable, Equatable {
        var id: String
        var params: [Param]
    }

    struct Param: Sendable, Equatable {
        var name: String
        var value: String
    }

    /// The message in `bytes`, or what is wrong with them. `now` (milliseconds since the
    /// epoch) gives RFC 3164 dates their year: this year, or the last when that would put
    /// the date more than a day ahead (a December line read in January).
    static func parse(_ bytes: some Collection<UInt8>, format: Format = .auto, now: Int64 = currentMillis())
        -> Result<SyslogMessage, FormatError>
    {
        if let result = bytes.withContiguousStorageIfAvailable({ parse(buffer: $0, format: format, now: now) }) {
            return result
        }
        return Array(bytes).withUnsafeBufferPointer { parse(buffer: $0, format: format, now: now) }
    }

    static func currentMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    static func parse(buffer: UnsafeBufferPointer<UInt8>, format: Format, now: Int64) -> Result<SyslogMessage, FormatError> {
        var scanner = ByteScanner(buffer)
        do throws(FormatError) {
            guard !buffer.isEmpty else { throw FormatError("the line is empty") }
            let priority = try scanner.priority(required: format == .rfc5424)
            let versioned = scanner.peek.map { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") } ?? false
            if format == .rfc5424 || (format == .auto && priority != nil && versioned) {
                return .success(try scanner.rfc5424(priority: priority))
            }
            return .success(try scanner.rfc3164(priority: priority, now: now))
        } catch {
            return .failure(error)
        }
    }
}

extension ByteScanner {
    /// `<PRI>`; nil when the line does not start with `<` and one is not `required`.
    fileprivate mutating func priority(required: Bool) throws(FormatError) -> Int? {
        guard skip(UInt8(ascii: "<")) else {
            if required { throw FormatError("no <PRI> at the start") }
            return nil
        }
        guard let value = number(upTo: 3) else { throw FormatError("the PRI is not 1 to 3 digits: \(excerpt(from: 0))") }
        guard skip(UInt8(ascii: ">")) else { throw FormatError("the PRI \(excerpt(from: 0, limit: at + 1)) has no closing '>'") }
        guard value <= 191 else { throw FormatError("PRI \(value) is over 191") }
        return Int(value)
    }

    /// RFC 5424 after the PRI: `1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`.
    fileprivate mutating func rfc5424(priority: Int?) throws(FormatError) -> SyslogMessage {
        guard skip(UInt8(ascii: "1")), skip(UInt8(ascii: " ")) else {
            throw FormatError("RFC 5424 version \(excerpt(from: at, limit: 3)) is not '1 '")
        }
        var message = SyslogMessage(format: .rfc5424, priority: priority)
        message.timestamp = skip(UInt8(ascii: "-")) ? nil : try rfc3339()
        message.host = try headerField("HOSTNAME")
        message.app = try headerField("APP-NAME")
        message.procid = try headerField("PROCID")
        message.msgid = try headerField("MSGID")
        guard skip(UInt8(ascii: " ")) else { throw FormatError("no structured data after the MSGID") }
        if !skip(UInt8(ascii: "-")) {
            guard peek == UInt8(ascii: "[") else {
                throw FormatError("structured data must be '-' or start with '[', not \(excerpt(from: at))")
            }
            while skip(UInt8(ascii: "[")) { message.structuredData.append(try element()) }
        }
        guard !atEnd else { return message }
        guard skip(UInt8(ascii: " ")) else { throw FormatError("no space between the structured data and the message") }
        if at + 3 <= bytes.count, bytes[at] == 0xEF, bytes[at + 1] == 0xBB, bytes[at + 2] == 0xBF { at += 3 }
        message.message = at..<bytes.count
        return message
    }

    /// ` VALUE`: a space then a word; nil for the NILVALUE `-`.
    private mutating func headerField(_ name: String) throws(FormatError) -> Range<Int>? {
        guard skip(UInt8(ascii: " ")) else { throw FormatError("no \(name) (the header ends at \(excerpt(from: at)))") }
        let value = word()
        guard !value.isEmpty else { throw FormatError("the \(name) is empty") }
        return value.count == 1 && bytes[value.lowerBound] == UInt8(ascii: "-") ? nil : value
    }

    /// `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)` as milliseconds since the epoch.
    private mutating func rfc3339() throws(FormatError) -> Int64 {
        let start = at
        guard let year = digits(4), skip(UInt8(ascii: "-")), let month = digits(2), skip(UInt8(ascii: "-")), let day = digits(2),
            skip(UInt8(ascii: "T")), let second = clock(), (1...12).contains(month),
            (1...CivilTime.daysIn(month: month, year: year)).contains(day)
        else { throw malformed("timestamp", from: start, limit: 32, expected: "RFC 3339") }
        let millis = fractionMillis()
        var offset = 0
        if !skip(UInt8(ascii: "Z")) {
            guard let sign = peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else {
                throw malformed("timestamp", from: start, limit: 32, expected: "RFC 3339")
            }
            at += 1
            guard let hours = digits(2), skip(UInt8(ascii: ":")), let minutes = digits(2), hours < 24, minutes < 60 else {
                throw malformed("timestamp", from: start, limit: 32, expected: "RFC 3339")
            }
            offset = (hours * 60 + minutes) * 60_000 * (sign == UInt8(ascii: "-") ? -1 : 1)
        }
        let utc = CivilTime.millis(year: year, month: month, day: day, second: second, millis: millis) - Int64(offset)
        guard CivilTime.writable.contains(utc) else { throw malformed("timestamp", from: start, limit: 32, expected: "RFC 3339") }
        return utc
    }

    /// An SD-ELEMENT after its `[`: `SD-ID *(SP PARAM-NAME="PARAM-VALUE")]`.
    private mutating func element() throws(FormatError) -> SyslogMessage.Element {
        let id = take(while: Self.isSDName)
        guard !id.isEmpty else { throw FormatError("an SD-ID is empty at \(excerpt(from: at))") }
        var element = SyslogMessage.Element(id: text(id), params: [])
        while skip(UInt8(ascii: " ")) {
            let name = take(while: Self.isSDName)
            guard !name.isEmpty, skip(UInt8(ascii: "=")), skip(UInt8(ascii: "\"")) else {
                throw FormatError("SD element '\(element.id)': expected name=\"value\" at \(excerpt(from: name.lowerBound))")
            }
            element.params.append(SyslogMessage.Param(name: text(name), value: try paramValue(of: element.id)))
        }
        guard skip(UInt8(ascii: "]")) else { throw FormatError("SD element '\(element.id)' is not closed by ']'") }
        return element
    }

    /// A PARAM-VALUE after its opening quote, up to the closing one: `\"`, `\\` and `\]`
    /// stand for the character escaped; a backslash before anything else is itself.
    private mutating func paramValue(of id: String) throws(FormatError) -> String {
        var value: [UInt8] = []
        while let byte = peek {
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "\\"):
                if let next = peek, next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") || next == UInt8(ascii: "]") {
                    value.append(next)
                    at += 1
                } else {
                    value.append(byte)
                }
            default:
                value.append(byte)
            }
        }
        throw FormatError("SD element '\(id)': a value is not closed by '\"'")
    }

    private static func isSDName(_ byte: UInt8) -> Bool {
        byte > 32 && byte < 127 && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "]") && byte != UInt8(ascii: "\"")
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// RFC 3164 after the PRI, if any: `Mmm dd hh:mm:ss HOST [TAG[PID]:] MSG`. A TAG is
    /// taken only when a `:` or `[PID]` ends it, so a message without one (`Use the BFG!`)
    /// stays whole.
    fileprivate mutating func rfc3164(priority: Int?, now: Int64) throws(FormatError) -> SyslogMessage {
        let start = at
        guard let month = month(), skip(UInt8(ascii: " ")) else {
            throw FormatError("no RFC 5424 version or RFC 3164 date like 'Dec 10 06:55:46' at \(excerpt(from: start))")
        }
        skipSpaces()
        guard let day = number(upTo: 2), (1...CivilTime.daysIn(month: month, year: 2000)).contains(Int(day)),
            skip(UInt8(ascii: " ")), let second = clock()
        else { throw FormatError("the date \(excerpt(from: start, limit: 15)) is not 'Mmm dd hh:mm:ss'") }
        let millis = fractionMillis()
        var message = SyslogMessage(format: .rfc3164, priority: priority)
        message.timestamp = Self.dated(month: month, day: Int(day), second: second, millis: millis, now: now)
        guard skip(UInt8(ascii: " ")) else { throw FormatError("no host after the date") }
        skipSpaces()
        let host = word()
        guard !host.isEmpty else { throw FormatError("no host after the date") }
        message.host = host
        skipSpaces()
        let tagStart = at
        let tag = take { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: ":") }
        if !tag.isEmpty, skip(UInt8(ascii: "[")) {
            let pid = take { $0 != UInt8(ascii: "]") && $0 != UInt8(ascii: " ") }
            if !pid.isEmpty, skip(UInt8(ascii: "]")) {
                message.app = tag
                message.procid = pid
                _ = skip(UInt8(ascii: ":"))
            }
        } else if !tag.isEmpty, skip(UInt8(ascii: ":")) {
            message.app = tag
        }
        if message.app == nil { at = tagStart } else { _ = skip(UInt8(ascii: " ")) }
        message.message = at..<bytes.count
        return message
    }

    /// A year-less date in this year (UTC, as of `now`), or the last when that is more
    /// than a day ahead of `now`.
    private static func dated(month: Int, day: Int, second: Int, millis: Int, now: Int64) -> Int64 {
        let year = CivilTime.civil(days: Int(now.quotientAndRemainder(dividingBy: 86_400_000).quotient)).year
        let this = CivilTime.millis(year: year, month: month, day: day, second: second, millis: millis)
        return this > now + 86_400_000 ? CivilTime.millis(year: year - 1, month: month, day: day, second: second, millis: millis) : this
    }
}
