import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

@Suite("Pipeline validation")
struct PipelineValidationTests {
    static let valid = """
        name: ssh-audit
        topics:
          raw: { partitions: 4, compression: gzip }
        sources:
          auth_logs:
            type: tail
            paths: ["${LOGS:-/var/log/auth*.log}"]
            topic: raw
        transforms:
          parsed:
            type: parse_regex
            inputs: [raw]
            pattern: '(?<host>\\S+) sshd\\[(?<pid>\\d+)\\]: (?<message>.*)'
          failures:
            type: filter
            inputs: [parsed]
            condition: '.message starts_with "Failed password"'
        sinks:
          out:
            type: file
            inputs: [failures]
            path: /tmp/out/failures.jsonl
            encoding: json
        """

    func load(_ text: String, environment: [String: String] = [:]) -> (PipelineDefinition?, [Diagnostic]) {
        let result = PipelineLoader(environment: environment).load(text: text, file: "p.yaml", defaultName: "p")
        return (result.definition, result.diagnostics)
    }

    @Test("the issue's example pipeline is valid and becomes a typed definition")
    func validExample() throws {
        let (definition, diagnostics) = load(Self.valid, environment: ["LOGS": "/logs/a.log"])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let pipeline = try #require(definition)
        #expect(pipeline.name == "ssh-audit")
        #expect(pipeline.topics["raw"]?.partitions == 4)
        #expect(pipeline.topics["raw"]?.compression == .gzip)
        #expect(pipeline.components.map(\.id) == ["auth_logs", "parsed", "failures", "out"])
        let source = try #require(pipeline.component("auth_logs"))
        #expect(source.options["paths"] == .array([.string("/logs/a.log")]))
        #expect(source.topic == "raw")
        let filter = try #require(pipeline.component("failures"))
        #expect(filter.group == "ssh-audit.failures")
        #expect(try filter.expressions["condition"]?.matches(.object(["message": .string("Failed password for x")])) == true)
    }

    @Test("${VAR:-default} falls back, ${VAR} without a value is an error at its place")
    func environment() {
        let (definition, _) = load(Self.valid)
        #expect(definition?.component("auth_logs")?.options["paths"] == .array([.string("/var/log/auth*.log")]))
        let (_, diagnostics) = load(Self.valid.replacingOccurrences(of: "${LOGS:-/var/log/auth*.log}", with: "${NOPE}"))
        #expect(
            diagnostics.map(\.description) == ["p.yaml:7:13: environment variable NOPE is not set (write ${NOPE:-default} for a default)"])
    }

    @Test(
        "each kind of mistake is reported at its line and column",
        arguments: [
            (
                "sources:\n  a:\n    type: tial\n    paths: [x]\n    topic: raw\ntopics:\n  raw: {}\n",
                "p.yaml:3:11: unknown source type 'tial' (did you mean 'tail'?); known: file, generate, stdin, syslog, tail"
            ),
            (
                "sourcse:\n  a: {type: stdin, topic: raw}\n",
                "p.yaml:1:1: unknown key 'sourcse' (did you mean 'sources'?); a pipeline has name, topics, sources, transforms, sinks, tests"
            ),
            (
                "topics:\n  raw: {}\nsources:\n  a: {type: stdin, topic: raw, patsh: x}\n",
                "p.yaml:4:32: unknown option 'patsh' for source type stdin; it takes topic"
            ),
            (
                "topics:\n  raw: {}\nsources:\n  a: {type: tail, topic: raw}\n",
                "p.yaml:4:6: source 'a' (tail) needs 'paths'"
            ),
            (
                "topics:\n  raw: {}\nsinks:\n  s: {type: stdout, inputs: [rwa]}\n",
                "p.yaml:4:3: input 'rwa' of 's' is neither a declared topic nor a transform output (did you mean 'raw'?)"
            ),
            (
                "topics:\n  raw: {partitions: 0}\nsinks:\n  s: {type: stdout, inputs: [raw]}\n",
                "p.yaml:2:21: partitions of topic 'raw' must be 1…10000, not 0"
            ),
            (
                "topics:\n  raw: {partitions: 2}\nsinks:\n  s: {type: stdout, inputs: [raw], parallelism: 3}\n",
                "p.yaml:4:3: parallelism 3 of 's' is more than the 2 partitions of 'raw': members beyond that would sit idle"
            ),
            (
                "topics:\n  raw: {}\ntransforms:\n  f:\n    type: filter\n    inputs: [raw]\n    condition: .level == \n",
                "p.yaml:7:25: condition of 'f': expected a value, a field path or '(' but found the end"
            ),
            (
                "topics:\n  raw: {}\ntransforms:\n  f:\n    type: filter\n    inputs: [raw]\n    condition: '.a =! 1'\n",
                "p.yaml:7:20: condition of 'f': unexpected character '='"
            ),
            (
                "topics:\n  raw: {}\ntransforms:\n  p:\n    type: parse_regex\n    inputs: [raw]\n    pattern: '(unclosed'\n",
                "p.yaml:7:14: pattern of 'p' is not a valid regex"
            ),
            (
                "topics:\n  raw: {}\ntransforms:\n  a: {type: sample, rate: 2, inputs: [b]}\n  b: {type: sample, rate: 2, inputs: [a]}\n",
                "p.yaml:4:3: transforms form a cycle: a → b → a"
            ),
            (
                "topics:\n  raw: {}\nsinks:\n  s: {type: stdout, inputs: [raw], on_error: ignore}\n",
                "p.yaml:4:46: on_error of 's' must be one of dlq, drop, fail, not 'ignore'"
            ),
            (
                "sources:\n  a: {type: stdin, topic: nowhere}\n",
                "p.yaml:2:3: source 'a' writes topic 'nowhere', which is not declared under topics"
            ),
            ("sources: [\n", "p.yaml:2:1: YAML syntax"),
            ("topics:\n  ../x: {}\nsinks:\n  s: {type: blackhole, inputs: [raw]}\n", "p.yaml:2:3: invalid topic name '../x'"),
        ])
    func mistakes(text: String, expected: String) {
        let (definition, diagnostics) = load(text)
        #expect(definition == nil)
        #expect(diagnostics.contains { $0.description.hasPrefix(expected) }, "got: \(diagnostics.map(\.description))")
    }

    @Test("an unknown type is one error: nothing more about its options, what reads its outputs, or tests naming it")
    func unknownTypeIsOneError() {
        let (definition, diagnostics) = load(
            """
            topics: { raw: {} }
            sources:
              logs: { type: generate, lines: ["x"], topic: raw }
            transforms:
              parsed: { type: parse_regx, inputs: [raw], pattern: '(?<a>.)', bogus: 1 }
              kept: { type: filter, inputs: [parsed], condition: '.a == "x"' }
              split: { type: rout, inputs: [kept], routes: { a: '.a == "x"' } }
            sinks:
              out: { type: stdout, inputs: [split.a, parsed, nowhere] }
            tests:
              - name: t
                input: { at: parsed, lines: ["x"] }
                expect: { from: split.a, count: 1 }
            """)
        #expect(definition == nil)
        let messages = diagnostics.map(\.description)
        #expect(messages.count == 3, "\(messages)")
        #expect(messages.filter { $0.contains("unknown transform type 'parse_regx' (did you mean 'parse_regex'?)") }.count == 1)
        #expect(messages.filter { $0.contains("unknown transform type 'rout' (did you mean 'route'?)") }.count == 1)
        // A name that leads nowhere is still a mistake of its own.
        #expect(messages.filter { $0.contains("input 'nowhere' of 'out' is neither a declared topic nor a transform output") }.count == 1)
    }

    @Test("every problem is reported at once")
    func allAtOnce() {
        let text =
            "topics:\n  raw: {partitions: x}\nsources:\n  a: {type: nope, topic: raw}\nsinks:\n  s: {type: stdout, inputs: [missing]}\nextra: 1\n"
        let (_, diagnostics) = load(text)
        #expect(diagnostics.count == 4, "\(diagnostics.map(\.description))")
        #expect(diagnostics == diagnostics.sorted())
    }

    @Test("route cases are inputs named <route>.<case>, plus <route>._unmatched")
    func routeOutputs() {
        let text = """
            topics:
              raw: {}
            transforms:
              levels:
                type: route
                inputs: [raw]
                routes:
                  errors: '.level == "error"'
                  warnings: '.level == "warn"'
            sinks:
              e: {type: stdout, inputs: [levels.errors]}
              rest: {type: blackhole, inputs: [levels._unmatched, levels.warnings]}
            """
        let (definition, diagnostics) = load(text)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(definition?.component("levels")?.expressions.keys.sorted() == ["routes.errors", "routes.warnings"])
    }
}

@Suite("Pipeline validation: review regressions")
struct PipelineValidationRegressionTests {
    func load(_ text: String) -> (PipelineDefinition?, [String]) {
        let result = PipelineLoader(environment: ["HOME": "/root"]).load(text: text, file: "p.yaml", defaultName: "p")
        return (result.definition, result.diagnostics.map(\.description))
    }

    @Test("an empty topic, or an empty topics section, means defaults")
    func emptyValues() {
        let (definition, diagnostics) = load("topics:\n  raw:\nsinks:\n  s: {type: blackhole, inputs: [raw]}\n")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(definition?.topics["raw"]?.partitions == 1)
    }

    @Test("duplicate keys are reported where they are")
    func duplicateKeys() {
        let (_, diagnostics) = load("topics:\n  raw: {}\n  raw: {}\n")
        #expect(
            diagnostics.count == 1 && diagnostics[0].hasPrefix("p.yaml:") && diagnostics[0].contains("'raw' appears more than once"),
            "\(diagnostics)")
    }

    @Test("a route's own id is not an output, and topic and transform names must differ")
    func graph() {
        let route =
            "topics:\n  raw: {}\ntransforms:\n  r:\n    type: route\n    inputs: [raw]\n    routes: {a: '.x == 1'}\nsinks:\n  s: {type: blackhole, inputs: [r]}\n"
        #expect(load(route).1.contains { $0.contains("a route's outputs are r.<case> and r._unmatched") })
        let clash = "topics:\n  t: {}\ntransforms:\n  t: {type: sample, rate: 2, inputs: [t]}\n"
        #expect(load(clash).1.contains { $0.contains("'t' is both a topic and a transform") })
        // A dotted topic name is not a route case: no false cycle.
        let dotted = "topics:\n  app.logs: {}\ntransforms:\n  app: {type: sample, rate: 2, inputs: [app.logs]}\n"
        #expect(load(dotted).1.isEmpty, "\(load(dotted).1)")
    }

    @Test("multiline options are checked and kept")
    func multiline() {
        let good =
            "topics:\n  raw: {}\nsources:\n  f:\n    type: file\n    paths: [x.log]\n    topic: raw\n    multiline: {start_pattern: '^\\d{4}-', max_lines: 500}\n"
        let (definition, diagnostics) = load(good)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(
            definition?.component("f")?.options["multiline"] == .object(["start_pattern": .string("^\\d{4}-"), "max_lines": .int(500)]))
        let bad = good.replacingOccurrences(of: "max_lines: 500", with: "bogus: 1")
        #expect(load(bad).1.contains { $0.contains("unknown option 'bogus' in multiline") })
    }

    @Test("an expression error inside an escaped or substituted value names the column in the expression")
    func expressionColumns() {
        let text = "topics:\n  raw: {}\ntransforms:\n  f:\n    type: filter\n    inputs: [raw]\n    condition: \".a == \\\"x\\\" ?\"\n"
        #expect(load(text).1 == ["p.yaml:7:16: condition of 'f': unexpected character '?' (column 11 of the expression)"])
    }

    @Test("a backslash escape the language does not know is kept, so regexes work")
    func regexEscapes() throws {
        let expression = try Expression(parsing: #".a matches "\d+ \w""#)
        #expect(try expression.matches(.object(["a": .string("12 x")])))
    }
}
