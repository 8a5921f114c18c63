import Testing
import WeirValues

@testable import WeirPipeline

@Suite("parse_csv")
struct ParseCSVTests {
    func csv(_ options: String = "") throws -> any RecordTransform {
        try makeTransform("type: parse_csv\ncolumns: [a, b, c]" + (options.isEmpty ? "" : "\n" + options))
    }

    @Test(
        "RFC 4180's examples: quoted values, doubled quotes, delimiters inside quotes, empty values",
        arguments: [
            (#"aaa,bbb,ccc"#, ["aaa", "bbb", "ccc"]),
            (#""aaa","bbb","ccc""#, ["aaa", "bbb", "ccc"]),
            (#""aaa","b""bb","ccc""#, ["aaa", #"b"bb"#, "ccc"]),
            (#""aaa","b,bb","ccc""#, ["aaa", "b,bb", "ccc"]),
            (#"aaa,,ccc"#, ["aaa", "", "ccc"]),
            (#",,"#, ["", "", ""]),
            (#""aaa","","""#, ["aaa", "", ""]),
            (#""""""",x,"""#, [#""""#, "x", ""]),
            (#"a"b,c"",d"#, [#"a"b"#, #"c"""#, "d"]),
            (#"" , ""x"""," ","#, [#" , "x""#, " ", ""]),
        ])
    func rfc4180(line: String, values: [String]) throws {
        let parsed = parseLine(try csv(), line)
        #expect(parsed == .fields(["message": .string(line), "a": .string(values[0]), "b": .string(values[1]), "c": .string(values[2])]))
        // A message held as a String parses the same.
        #expect(parseLine(try csv(), line, asText: false) == parsed)
    }

    @Test("a wrong number of values fails with both counts; extra and missing say otherwise")
    func counts() throws {
        #expect(parseLine(try csv(), "1,2") == .failed("parse_csv: 'message' has 2 values for 3 columns"))
        #expect(parseLine(try csv(), "") == .failed("parse_csv: 'message' has 1 value for 3 columns"))
        #expect(parseLine(try csv(), "1,2,3,4") == .failed("parse_csv: 'message' has 4 values for 3 columns"))
        #expect(parseLine(try csv(), "1,2,3,") == .failed("parse_csv: 'message' has 4 values for 3 columns"))
        let ignore = try csv("extra: ignore\nmissing: ignore")
        #expect(
            parseLine(ignore, "1,2,3,\"4")
                == .fields(["message": .string("1,2,3,\"4"), "a": .string("1"), "b": .string("2"), "c": .string("3")]))
        #expect(parseLine(ignore, "1,2") == .fields(["message": .string("1,2"), "a": .string("1"), "b": .string("2")]))
        #expect(parseLine(try csv("missing: null"), "1") == .fields(["message": .string("1"), "a": .string("1"), "b": .null, "c": .null]))
        let rest = try csv("extra: rest")
        #expect(parseLine(rest, #"1,2,x,"y",z"#)["c"] == .string(#"x,"y",z"#))
        #expect(parseLine(rest, #"1,2,"x,y""#)["c"] == .string("x,y"))
        #expect(
            parseLine(rest, "1,2,\"x,y")
                == .fields(["message": .string("1,2,\"x,y"), "a": .string("1"), "b": .string("2"), "c": .string("\"x,y")]))
        #expect(parseLine(rest, "1,2") == .failed("parse_csv: 'message' has 2 values for 3 columns"))
        let one = try makeTransform("type: parse_csv\ncolumns: [all]\nextra: rest")
        #expect(parseLine(one, "a,b,c")["all"] == .string("a,b,c"))
    }

    @Test("a quote left open or text after a closing quote fails, naming the value")
    func badQuotes() throws {
        #expect(parseLine(try csv(), #"1,"2,3"#) == .failed("parse_csv: value 2 of 'message' has no closing quote"))
        #expect(parseLine(try csv(), #"1,"2"x,3"#) == .failed("parse_csv: value 2 of 'message' has text after its closing quote"))
        #expect(parseLine(try csv("trim: true"), #"1, "2"  ,3"#)["b"] == .string("2"))
        // With quoting off a quote is any other byte.
        #expect(
            parseLine(try csv("quote: ''"), #""1,"2"x,3"#)
                == .fields(["message": .string(#""1,"2"x,3"#), "a": .string("\"1"), "b": .string("\"2\"x"), "c": .string("3")]))
        // A newline inside the message (lines joined by a multiline source) is a byte like any other.
        #expect(parseLine(try csv(), "1,\"two\nlines\",3")["b"] == .string("two\nlines"))
    }

    @Test("types: ints, doubles and bools; an empty value is null; one that does not convert fails naming its column")
    func types() throws {
        let typed = try csv("types: {a: int, b: double, c: bool}")
        #expect(
            parseLine(typed, "-42,6.02e23,TRUE")
                == .fields(["message": .string("-42,6.02e23,TRUE"), "a": .int(-42), "b": .double(6.02e23), "c": .bool(true)]))
        #expect(parseLine(typed, ",,") == .fields(["message": .string(",,"), "a": .null, "b": .null, "c": .null]))
        #expect(parseLine(typed, "-9223372036854775808,1,false")["a"] == .int(Int64.min))
        #expect(parseLine(typed, "9223372036854775808,1,false") == .failed("parse_csv: column 'a' is not an int: '9223372036854775808'"))
        #expect(parseLine(typed, "12x,1,true") == .failed("parse_csv: column 'a' is not an int: '12x'"))
        #expect(parseLine(typed, " 12,1,true") == .failed("parse_csv: column 'a' is not an int: ' 12'"))
        #expect(parseLine(typed, "1,nan,true") == .failed("parse_csv: column 'b' is not a double: 'nan'"))
        #expect(parseLine(typed, "1,0x10,true") == .failed("parse_csv: column 'b' is not a double: '0x10'"))
        #expect(parseLine(typed, "1,1e999,true") == .failed("parse_csv: column 'b' is not a double: '1e999'"))
        #expect(parseLine(typed, "1,2,yes") == .failed("parse_csv: column 'c' is not a bool: 'yes'"))
        #expect(parseLine(try csv("types: {a: int}\ntrim: true"), " 12 ,b,c")["a"] == .int(12))
        let long = String(repeating: "x", count: 100)
        #expect(parseLine(typed, "\(long),1,true") == .failed("parse_csv: column 'a' is not an int: '\(long.prefix(64))…'"))
    }

    @Test("unicode values, delimiters between multi-byte characters, a message held as a String")
    func unicode() throws {
        let line = #""héllo, wörld",日本語,🙂"#
        let expected: ParsedLine = .fields(["message": .string(line), "a": .string("héllo, wörld"), "b": .string("日本語"), "c": .string("🙂")])
        #expect(parseLine(try csv(), line) == expected)
        #expect(parseLine(try csv(), line, asText: false) == expected)
        #expect(
            parseLine(try csv("delimiter: ';'\nquote: \"'\""), "'ü;ß';é;")
                == .fields(["message": .string("'ü;ß';é;"), "a": .string("ü;ß"), "b": .string("é"), "c": .string("")]))
    }

    @Test("skip_header drops the line that holds the column names; other lines parse")
    func header() throws {
        let skip = try csv("skip_header: true\ntypes: {a: int}")
        #expect(parseLine(skip, "a,b,c") == .dropped)
        #expect(parseLine(skip, #""a","b",c"#) == .dropped)
        #expect(parseLine(skip, "1,b,c")["a"] == .int(1))
        #expect(parseLine(try csv(), "a,b,c")["a"] == .string("a"))
    }

    @Test("a column may be the parsed field itself; another field is parsed in place")
    func columnNamedLikeTheField() throws {
        let parse = try makeTransform("type: parse_csv\ncolumns: [level, message]\ndelimiter: '|'")
        #expect(parseLine(parse, "WARN|disk|full") == .failed("parse_csv: 'message' has 3 values for 2 columns"))
        #expect(parseLine(parse, "WARN|disk full") == .fields(["message": .string("disk full"), "level": .string("WARN")]))
        let other = try makeTransform("type: parse_csv\nfield: row\ncolumns: [x, y]\ndelimiter: \"\\t\"")
        let out = other.process([PipelineRecord(timestamp: 1, fields: ["row": .string("1\t2"), "x": .string("old")])]).records
        #expect(out.first?.fields == ["row": .string("1\t2"), "x": .string("1"), "y": .string("2")])
        let missing = other.process([PipelineRecord(timestamp: 1, fields: ["row": .int(3)])])
        #expect(missing.failures.map(\.reason) == ["parse_csv: field 'row' is not a string"])
    }

    @Test(
        "options that cannot work are refused where they are written",
        arguments: [
            ("columns: []", "columns needs at least one name"), ("columns: [a, b, a]", "columns names 'a' twice"),
            ("columns: [a]\ndelimiter: ';;'", "delimiter must be one ASCII character"),
            ("columns: [a]\ndelimiter: 'é'", "delimiter must be one ASCII character"),
            ("columns: [a]\ndelimiter: ''", "delimiter must be one ASCII character"),
            ("columns: [a]\nquote: ','", "quote must differ from the delimiter"),
            ("columns: [a]\ntypes: {b: int}", "types names 'b', which is not a column"),
            ("columns: [a]\ntypes: {a: float}", "types gives 'a' the type 'float': use int, double, bool or string"),
        ])
    func invalidOptions(options: String, message: String) {
        let diagnostics = transformDiagnostics("type: parse_csv\n" + options)
        #expect(diagnostics.contains { $0.hasSuffix(message) }, "\(diagnostics)")
    }

    @Test("every line of loghub's HealthApp sample parses: time|component|pid|message, pid an int")
    func healthApp() throws {
        let parse = try makeTransform(
            "type: parse_csv\ncolumns: [time, component, pid, text]\ndelimiter: '|'\nextra: rest\ntypes: {pid: int}")
        let lines = try loghubLines("HealthApp_2k.log")
        #expect(lines.count == 2000)
        let result = parse.process(lines.map { PipelineRecord(message: $0, timestamp: 1) })
        #expect(result.failures.isEmpty, "\(result.failures.prefix(3))")
        #expect(result.records.count == 2000)
        #expect(
            result.records.first?.fields
                == [
                    "message": .string("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579"),
                    "time": .string("20171223-22:15:29:606"),
                    "component": .string("Step_LSC"), "pid": .int(30_002_312), "text": .string("onStandStepChanged 3579"),
                ])
        // The one line whose text holds the delimiter keeps it whole.
        #expect(result.records.contains { $0[field: "text"] == .string("tryToReloadTodayBasicSteps1514044800223|3786|0|0") })
    }
}
