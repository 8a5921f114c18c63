import WeirValues

/// Runs the `tests:` cases of a pipeline (`weir test`): no log, no sources or sinks, just
/// the transforms between a case's input and its expected output.
public enum PipelineTestRunner {
    public struct Outcome: Sendable {
        public var name: String
        public var line: Int
        /// Empty when the case passed.
        public var problems: [String]
        public var passed: Bool { problems.isEmpty }
    }

    public static func run(_ definition: PipelineDefinition, registry: ComponentRegistry = .builtIn) -> [Outcome] {
        definition.tests.map { run($0, definition, registry: registry) }
    }

    static func run(_ test: PipelineTestCase, _ definition: PipelineDefinition, registry: ComponentRegistry) -> Outcome {
        var outcome = Outcome(name: test.name, line: test.line, problems: [])
        let graph: TransformGraph
        do {
            graph = try TransformGraph(definition: definition, wanted: [test.from], registry: registry)
        } catch {
            outcome.problems.append("\(error)")
            return outcome
        }
        var result = graph.evaluate(injecting: test.input, at: test.at)
        // The case's input is all there is: windows still open close now.
        if !graph.stateful.isEmpty {
            let flushed = graph.flushStateful()
            result.records += flushed.records
            result.failures += flushed.failures
            result.fatal = result.fatal ?? flushed.fatal
        }
        graph.close()
        if let fatal = result.fatal {
            outcome.problems.append(fatal)
            return outcome
        }
        for failure in result.failures {
            outcome.problems.append("transform '\(failure.transform)' failed a record: \(failure.reason)")
        }
        let got = result.records
        if let count = test.count, got.count != count {
            outcome.problems.append("expected \(count) records from '\(test.from)', got \(got.count)")
        }
        if let expected = test.records {
            if expected.count != got.count {
                outcome.problems.append(
                    "expected \(expected.count) records from '\(test.from)', got \(got.count): \(got.map { $0.object.jsonText() })")
            }
            for (i, (want, have)) in zip(expected, got).enumerated() where want != have.object {
                outcome.problems.append("record \(i + 1) from '\(test.from)' is \(have.object.jsonText()), expected \(want.jsonText())")
            }
        }
        if !test.conditions.isEmpty && got.isEmpty && test.count == nil && test.records == nil {
            // Conditions over no records would hold whatever the pipeline did.
            outcome.problems.append("no records came from '\(test.from)' for the conditions to check (count: 0 expects none)")
        }
        for condition in test.conditions {
            for (i, record) in got.enumerated() {
                do {
                    if try !condition.expression.matches(record.fields) {
                        outcome.problems.append(
                            "record \(i + 1) from '\(test.from)' does not satisfy \(condition.text): \(record.object.jsonText())")
                    }
                } catch {
                    outcome.problems.append("condition \(condition.text) on record \(i + 1): \(error.message)")
                }
            }
        }
        return outcome
    }
}
