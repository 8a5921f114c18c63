import FuzzSupport
import WeirPipeline
import WeirValues

/// The parser transforms: the first byte picks one (and one of its option sets), the
/// rest is a record's message, held as the bytes a source reads (any bytes, not
/// necessarily UTF-8). Every record comes out parsed or failed with a reason — never a
/// trap, never a hang, never a record lost or made up.
@_cdecl("FuzzParsers_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, count in fuzzParsers(data, count) }
}

/// The parser types, looked up by name: those not registered in this build are skipped.
/// Each has a few option sets; a set this build's spec refuses is skipped too.
let parserOptions: [(type: String, variants: [String])] = [
    (
        "parse_csv",
        [
            "columns: [a, b, c]", "columns: [a, b, c]\ntypes: {a: int, b: double, c: bool}\nmissing: null\nextra: ignore",
            "columns: [time, component, pid, message]\ndelimiter: '|'\nextra: rest\ntrim: true\nskip_header: true",
            "columns: [a, b]\ndelimiter: \"\\t\"\nquote: ''\nmissing: ignore",
        ]
    ),
    (
        "parse_kv",
        [
            "", "field_split: ',;'\nvalue_split: ':'\ntrim_key: '[]'\ntrim_value: '\"<>'\nbare_key: flag",
            "value_split: '=>'\nprefix: kv_\nexclude_keys: [a]\nbare_key: empty",
        ]
    ),
    ("parse_logfmt", [""]),
    ("parse_json", [""]),
    ("parse_regex", [#"pattern: '^(?<first>\S+) (?<rest>.*)$'"#]),
    ("parse_syslog", [""]),
    ("parse_apache_log", [""]),
    ("parse_nginx_log", [""]),
    ("parse_grok", ["pattern: '%{WORD:first} %{GREEDYDATA:rest}'", "patterns: ['%{WORD:first} %{GREEDYDATA:rest}']"]),
]

/// Every transform that could be built, in the order of `parserOptions`.
let parsers: [(type: String, transform: any RecordTransform)] = parserOptions.flatMap { parser in
    parser.variants.compactMap { options -> (String, any RecordTransform)? in
        guard ComponentRegistry.builtIn.spec(.transform, parser.type) != nil else { return nil }
        let yaml = (["type: \(parser.type)"] + (options.isEmpty ? [] : options.split(separator: "\n").map(String.init)) + ["inputs: [raw]"])
            .map { "    " + $0 }.joined(separator: "\n")
        let text = "topics:\n  raw: {}\ntransforms:\n  t:\n" + yaml + "\n"
        let (definition, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "fuzz.yaml", defaultName: "fuzz")
        guard diagnostics.isEmpty, let component = definition?.component("t"),
            let transform = try? ComponentRegistry.builtIn.makeTransform(ComponentOptions(component, pipeline: "fuzz"))
        else { return nil }
        return (parser.type, transform)
    }
}

func fuzzParsers(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0, !parsers.isEmpty else { return 0 }
    let (type, transform) = parsers[Int(data[0]) % parsers.count]
    let message = Array(UnsafeBufferPointer(start: data + 1, count: count - 1))
    var fields = Fields(minimumCapacity: 4)
    fields.appendText("message", message[...])
    // Twice in one batch, and once beside a record whose message is a String: a batch's
    // records are parsed in place, one after the other.
    let records = [
        PipelineRecord(timestamp: 1, fields: fields), PipelineRecord(message: String(decoding: message, as: UTF8.self), timestamp: 2),
        PipelineRecord(timestamp: 3, fields: fields),
    ]
    let result = transform.process(records)
    let out = result.outputs.values.reduce(0) { $0 + $1.count }
    if out + result.failures.count > records.count {
        fatalError("\(type): \(out) records out and \(result.failures.count) failed of \(records.count)")
    }
    for failure in result.failures where failure.reason.isEmpty { fatalError("\(type): a failure without a reason") }
    // Writing each record as a sink does reads every slice the parser kept.
    var json: [UInt8] = []
    for record in result.outputs.values.joined() { Value.writeJSONObject(record.fields, extra: nil, into: &json) }
    return 0
}
