import Foundation
public import WeirValues
package import Yams

/// One case of a pipeline file's `tests:` section, as `weir test` runs it (like
/// `vector test` or `benthos test`): records go into a topic or a transform, and what
/// comes out of a transform (or a route's case) is checked.
///
/// ```yaml
/// tests:
///   - name: a failed login is parsed
///     input:
///       at: raw                 # a topic, or a transform (the records are its input)
///       lines: ["Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root ..."]
///       # or records: [{ message: "...", user: ann }]
///     expect:
///       from: failures          # a transform, or <route>.<case>
///       count: 1                # how many records come out
///       records: [{ host: LabSZ, pid: "24200", ... }]   # exactly these fields, in order
///       conditions: ['.host == "LabSZ"']                 # each holds for every record (and, without
///                                                         # count or records, at least one comes)
/// ```
public struct PipelineTestCase: Sendable {
    public var name: String
    public var line: Int
    public var at: String
    public var input: [PipelineRecord]
    public var from: String
    public var count: Int?
    public var records: [Value]?
    public var conditions: [(text: String, expression: WeirValues.Expression)] = []
}

extension Checker {
    package mutating func testCases(_ node: Node, _ definition: PipelineDefinition) -> [PipelineTestCase] {
        guard let sequence = node.sequence else {
            report(node, "tests must be a list of cases, each with name, input and expect")
            return []
        }
        return sequence.compactMap { testCase($0, definition) }
    }

    private mutating func testCase(_ node: Node, _ definition: PipelineDefinition) -> PipelineTestCase? {
        guard let fields = entries(node, "a test case") else { return nil }
        let known = ["name", "input", "expect"]
        for entry in fields where !known.contains(entry.key) {
            report(
                entry.keyNode,
                "unknown key '\(entry.key)' in a test case\(suggestion(for: entry.key, among: known)); a case has \(known.joined(separator: ", "))"
            )
        }
        func field(_ name: String) -> Node? { fields.first { $0.key == name }?.value }
        let name = field("name").flatMap { string($0, "name of a test case") }
        if field("name") == nil { report(node, "a test case needs a name") }
        let what = "test '\(name ?? "?")'"
        var testCase = PipelineTestCase(name: name ?? "?", line: node.mark?.line ?? 1, at: "", input: [], from: "")
        let transformOutputs = Self.transformOutputs(definition.components).keys.sorted()

        if let input = field("input"), let parts = entries(input, "input of \(what)") {
            for part in parts {
                switch part.key {
                case "at":
                    guard let at = string(part.value, "at of \(what)") else { continue }
                    if definition.topics[at] == nil && definition.component(at)?.kind != .transform && !leadsToUnreadable(at) {
                        report(
                            part.value,
                            "\(what) puts records at '\(at)', which is neither a topic nor a transform\(suggestion(for: at, among: Array(definition.topics.keys) + definition.components.filter { $0.kind == .transform }.map(\.id)))"
                        )
                    }
                    testCase.at = at
                case "lines":
                    // Counted against the file's budget too: `lines: *alias` in many tests.
                    let count = part.value.sequence?.count ?? 1
                    guard valueItemsLeft >= count else {
                        report(
                            part.value,
                            "lines of \(what) are too many: the file's values may hold \(Self.maxValueItems) items (YAML aliases expand in place)"
                        )
                        valueItemsLeft = 0
                        continue
                    }
                    valueItemsLeft -= count
                    testCase.input += (stringList(part.value, "lines of \(what)") ?? []).map { PipelineRecord(message: $0, timestamp: 0) }
                case "records":
                    for record in part.value.sequence ?? [] {
                        guard let converted = value(record, "a record of \(what)") else { continue }
                        if case .object(let values) = converted {
                            testCase.input.append(PipelineRecord(timestamp: 0, fields: values))
                        } else {
                            report(record, "records of \(what) must be mappings of fields")
                        }
                    }
                    if part.value.sequence == nil { report(part.value, "records of \(what) must be a list of mappings") }
                default:
                    report(part.keyNode, "unknown key '\(part.key)' in input of \(what); it takes at, lines, records")
                }
            }
            if testCase.at.isEmpty { report(input, "input of \(what) needs at: a topic or transform") }
        } else if field("input") == nil {
            report(node, "\(what) needs an input")
        }

        if let expect = field("expect"), let parts = entries(expect, "expect of \(what)") {
            for part in parts {
                switch part.key {
                case "from":
                    guard let from = string(part.value, "from of \(what)") else { continue }
                    if !transformOutputs.contains(from) && !leadsToUnreadable(from) {
                        report(
                            part.value,
                            "\(what) expects records from '\(from)', which is not a transform output\(suggestion(for: from, among: transformOutputs))"
                        )
                    }
                    testCase.from = from
                case "count": integer(part.value, "count of \(what)", 0...1_000_000).map { testCase.count = Int($0) }
                case "records":
                    guard let list = part.value.sequence else {
                        report(part.value, "records of \(what) must be a list of mappings")
                        continue
                    }
                    testCase.records = list.compactMap { value($0, "an expected record of \(what)") }
                case "conditions":
                    for condition in part.value.sequence ?? [part.value] {
                        guard let text = string(condition, "a condition of \(what)"),
                            let parsed = expression(text, condition, "condition of \(what)")
                        else { continue }
                        testCase.conditions.append((text, parsed))
                    }
                default:
                    report(part.keyNode, "unknown key '\(part.key)' in expect of \(what); it takes from, count, records, conditions")
                }
            }
            if testCase.from.isEmpty { report(expect, "expect of \(what) needs from: a transform output") }
            if !parts.contains(where: { ["count", "records", "conditions"].contains($0.key) }) {
                report(expect, "expect of \(what) checks nothing: give count, records or conditions")
            }
        } else if field("expect") == nil {
            report(node, "\(what) needs an expect")
        }
        return testCase
    }

    /// The values of a file hold at most this many items together, and nest at most this
    /// deep: YAML aliases can make a few lines stand for billions of items ("billion laughs").
    package static let maxValueItems = 100_000
    package static let maxValueDepth = 64

    /// A YAML node as a value, or nil (reported at the node) when it is too big.
    package mutating func value(_ node: Node, _ what: String) -> Value? {
        guard valueItemsLeft > 0, let converted = Self.value(node, depth: 0, budget: &valueItemsLeft) else {
            report(
                node,
                "\(what) is too big: the file's values may hold \(Self.maxValueItems) items and \(Self.maxValueDepth) levels (YAML aliases expand in place)"
            )
            valueItemsLeft = 0
            return nil
        }
        return converted
    }

    /// Plain scalars are typed (numbers, booleans, null), quoted ones are strings.
    private static func value(_ node: Node, depth: Int, budget: inout Int) -> Value? {
        budget -= 1
        guard budget >= 0, depth <= maxValueDepth else { return nil }
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            let text = scalar.string
            if ["", "~", "null"].contains(text) { return .null }
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
            if let int = Int64(text) { return .int(int) }
            if let double = Double(text), text.contains(where: { $0 == "." || $0 == "e" }) { return .double(double) }
            return .string(text)
        case .sequence(let sequence):
            var items: [Value] = []
            for item in sequence {
                guard let converted = value(item, depth: depth + 1, budget: &budget) else { return nil }
                items.append(converted)
            }
            return .array(items)
        case .mapping(let mapping):
            var object = Fields()
            for (key, item) in mapping {
                guard let converted = value(item, depth: depth + 1, budget: &budget) else { return nil }
                object[key.scalar?.string ?? ""] = converted
            }
            return .object(object)
        case .alias: return .null
        }
    }
}
