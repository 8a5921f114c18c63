import Testing
import WeirValues

@testable import WeirPipeline

@Suite("parse_kv")
struct ParseKVTests {
    func kv(_ options: String = "") throws -> any RecordTransform {
        try makeTransform("type: parse_kv" + (options.isEmpty ? "" : "\n" + options))
    }

    /// The fields parsed from `line`, the message left out.
    func pairs(_ transform: any RecordTransform, _ line: String, asText: Bool = true) -> [String: Value]? {
        guard case .fields(let fields) = parseLine(transform, line, asText: asText) else { return nil }
        return Dictionary(uniqueKeysWithValues: fields.filter { $0.key != "message" }.map { ($0.key, $0.value) })
    }

    @Test("default: spaces and tabs between pairs, = between key and value, double or single quotes, empty values")
    func defaults() throws {
        let line = "a=1 \t b=\"two words\" c='x y' d= e=x=y"
        let expected: [String: Value] = [
            "a": .string("1"), "b": .string("two words"), "c": .string("x y"), "d": .string(""), "e": .string("x=y"),
        ]
        #expect(pairs(try kv(), line) == expected)
        #expect(pairs(try kv(), line, asText: false) == expected)
    }

    @Test("a backslash in quotes takes the next character as it is; text after the closing quote is kept")
    func escapes() throws {
        #expect(pairs(try kv(), #"msg="say \"hi\" \\ \n ok" q='it\'s'"#) == ["msg": .string(#"say "hi" \ n ok"#), "q": .string("it's")])
        #expect(pairs(try kv(), #"a="x y"z b=1 c=it's"#) == ["a": .string("x yz"), "b": .string("1"), "c": .string("it's")])
        // A quote never closed runs to the end of the line.
        #expect(pairs(try kv(), #"a=1 b="open c=3"#) == ["a": .string("1"), "b": .string("open c=3")])
        #expect(pairs(try kv(), #"a="\"#) == ["a": .string(#"\"#)])
        #expect(pairs(try kv("quotes: ''"), #"a="x y""#) == ["a": .string(#""x"#)])
    }

    @Test(
        "separators: a set of field_split characters, a value_split text",
        arguments: [
            ("field_split: ',;'\nvalue_split: ':'", "a:1,b:2;;c:3", ["a": "1", "b": "2", "c": "3"]),
            ("field_split: '&'", "user=ann&id=7&empty=&flag", ["user": "ann", "id": "7", "empty": ""]),
            ("value_split: '=>'", "a=>1 b=>x=>y c=2", ["a": "1", "b": "x=>y"]),
            ("field_split: ', '\nvalue_split: ': '", "host: db1, port: 5432", ["host": "db1", "port": "5432"]),
        ])
    func separators(options: String, line: String, expected: [String: String]) throws {
        #expect(pairs(try kv(options), line) == expected.mapValues(Value.string))
    }

    @Test("trim_key and trim_value drop characters at both ends; include_keys, exclude_keys and prefix pick and name")
    func trimAndPick() throws {
        #expect(pairs(try kv("trim_key: '[]'\ntrim_value: '<>,'"), "[a]=<1>, [b]=\"<x y>\",") == ["a": .string("1"), "b": .string("x y")])
        #expect(pairs(try kv("include_keys: [a, c]"), "a=1 b=2 c=3") == ["a": .string("1"), "c": .string("3")])
        #expect(pairs(try kv("exclude_keys: [a]\nprefix: 'kv_'"), "a=1 b=2") == ["kv_b": .string("2")])
        // Picking none of the pairs is not a failure: the record goes on as it was.
        #expect(pairs(try kv("include_keys: [z]"), "a=1") == [:])
    }

    @Test("a key without a value is skipped, a flag or empty; a key given twice keeps its last value")
    func bareAndDuplicateKeys() throws {
        let line = "Accepted password for root from 5.36.59.76 port=42393 ssh2 port=22"
        #expect(pairs(try kv(), line) == ["port": .string("22")])
        #expect(pairs(try kv("bare_key: flag"), "debug a=1")?["debug"] == .string("true"))
        #expect(pairs(try kv("bare_key: empty"), "debug a=1")?["debug"] == .string(""))
    }

    @Test("text without a key=value pair, or a field that is not a string, fails")
    func failures() throws {
        #expect(parseLine(try kv(), "just words here") == .failed("parse_kv: 'message' holds no key=value pairs"))
        #expect(parseLine(try kv(), "") == .failed("parse_kv: 'message' holds no key=value pairs"))
        let result = try kv("field: payload").process([PipelineRecord(timestamp: 1, fields: ["payload": .int(1)])])
        #expect(result.failures.map(\.reason) == ["parse_kv: field 'payload' is not a string"])
    }

    @Test("unicode keys and values")
    func unicode() throws {
        let line = #"名前="山田 太郎" city=Zürich emoji=🙂"#
        let expected: [String: Value] = ["名前": .string("山田 太郎"), "city": .string("Zürich"), "emoji": .string("🙂")]
        #expect(pairs(try kv(), line) == expected)
        #expect(pairs(try kv(), line, asText: false) == expected)
    }

    @Test(
        "options that cannot work are refused",
        arguments: [
            ("field_split: ''", "field_split needs at least one character"), ("value_split: ''", "value_split may not be empty"),
            ("value_split: ' ='", "value_split may not start with a field_split character"),
            ("field_split: 'é'", "field_split must be ASCII characters"), ("quotes: '\\'", "quotes may not hold the backslash"),
        ])
    func invalidOptions(options: String, message: String) {
        let diagnostics = transformDiagnostics("type: parse_kv\n" + options)
        #expect(diagnostics.contains { $0.hasSuffix(message) }, "\(diagnostics)")
    }

    @Test("loghub's Linux sample: the authentication failures' pairs, empty values included")
    func linuxAuthFailures() throws {
        let parse = try kv("include_keys: [logname, uid, euid, tty, ruser, rhost, user]")
        let lines = try loghubLines("Linux_2k.log").filter { String(decoding: $0, as: UTF8.self).contains("authentication failure;") }
        #expect(lines.count == 490)
        let result = parse.process(lines.map { PipelineRecord(message: $0, timestamp: 1) })
        #expect(result.failures.isEmpty)
        #expect(result.records.allSatisfy { $0[field: "uid"] != nil && $0[field: "rhost"] != nil })
        #expect(result.records.first?[field: "logname"] == .string(""))
        #expect(result.records.first?[field: "rhost"] == .string("218.188.2.4"))
    }

    @Test("with logfmt's settings it reads every loghub line holding '=' as parse_logfmt does")
    func agreesWithLogfmt() throws {
        let kv = try kv("quotes: '\"'\nbare_key: flag")
        let logfmt = try makeTransform("type: parse_logfmt")
        var compared = 0
        for file in [
            "Android_2k.log", "BGL_2k.log", "Hadoop_2k.log", "HPC_2k.log", "Linux_2k.log", "Mac_2k.log", "OpenSSH_2k.log",
            "OpenStack_2k.log", "Spark_2k.log", "Thunderbird_2k.log", "Windows_2k.log", "Zookeeper_2k.log",
        ] {
            for line in try loghubLines(file) where line.contains(UInt8(ascii: "=")) && !Self.textAfterQuote(line) {
                let record = PipelineRecord(message: line, timestamp: 1)
                let byKV = kv.process([record]).records.first?.fields
                let byLogfmt = logfmt.process([record]).records.first?.fields
                #expect(byKV == byLogfmt, "\(file): \(String(decoding: line, as: UTF8.self))")
                compared += 1
            }
        }
        #expect(compared > 3000)
    }

    /// Whether a quote closes a value with more text before the separator (Android's
    /// `tag="View Lock", name=...`): `parse_logfmt` starts a pair there (a `,` flag),
    /// `parse_kv` appends it to the value (`View Lock,`).
    static func textAfterQuote(_ line: ArraySlice<UInt8>) -> Bool {
        var quoted = false
        for (at, byte) in zip(line.indices, line) where byte == UInt8(ascii: "\"") {
            if quoted && at + 1 < line.endIndex && line[at + 1] != UInt8(ascii: " ") { return true }
            quoted = !quoted
        }
        return false
    }

    @Test("a comma and a space between pairs: Android's PowerManagerService lines from loghub")
    func android() throws {
        let parse = try kv("field_split: ', '\nbare_key: skip")
        let line =
            #"03-17 16:13:38.819  1702  8671 D PowerManagerService: acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui, ws=null, uid=10037, pid=2227"#
        #expect(
            pairs(parse, line)
                == [
                    "lock": .string("233570404"), "flags": .string("0x1"), "tag": .string("View Lock"),
                    "name": .string("com.android.systemui"),
                    "ws": .string("null"), "uid": .string("10037"), "pid": .string("2227"),
                ])
        let lines = try loghubLines("Android_2k.log").filter {
            String(decoding: $0, as: UTF8.self).contains("PowerManagerService: acquire lock=")
        }
        let result = parse.process(lines.map { PipelineRecord(message: $0, timestamp: 1) })
        #expect(!lines.isEmpty && result.failures.isEmpty)
        let uids = result.records.compactMap { record -> String? in if case .string(let uid)? = record[field: "uid"] { uid } else { nil } }
        #expect(uids.count == lines.count && uids.allSatisfy { Int($0) != nil })
    }
}
