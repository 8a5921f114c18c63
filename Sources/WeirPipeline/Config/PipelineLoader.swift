import Foundation
import WeirLog
import WeirValues
package import Yams

/// Reads a pipeline file and checks everything that can be checked before running it,
/// collecting every problem with its `file:line:column` instead of stopping at the first.
///
/// Decoding goes through Yams' node tree, which keeps a mark on every node, so each
/// message points at the key or value it is about.
public struct PipelineLoader {
    public var catalog: ComponentRegistry
    public var environment: [String: String]

    /// - Parameter environment: what `${VAR}` reads; the process environment when nil.
    public init(catalog: ComponentRegistry = .builtIn, environment: [String: String]? = nil) {
        self.catalog = catalog
        self.environment = environment ?? ProcessInfo.processInfo.environment
    }

    /// The definition if the file is valid, and every problem found.
    public func load(path: String) -> (definition: PipelineDefinition?, diagnostics: [Diagnostic]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            return (nil, [Diagnostic(file: path, line: 1, column: 1, message: "the file \(reason)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return (nil, [Diagnostic(file: path, line: 1, column: 1, message: "the file is not UTF-8 text")])
        }
        let defaultName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return load(text: text, file: path, defaultName: defaultName)
    }

    public func load(text: String, file: String, defaultName: String) -> (definition: PipelineDefinition?, diagnostics: [Diagnostic]) {
        var checker = Checker(file: file, catalog: catalog, environment: environment)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return (nil, [checker.diagnostic(for: error)])
        } catch {
            return (nil, [Diagnostic(file: file, line: 1, column: 1, message: "not valid YAML: \(error)")])
        }
        guard let root, let mapping = root.mapping else {
            return (
                nil,
                [
                    Diagnostic(
                        file: file, line: root?.mark?.line ?? 1, column: root?.mark?.column ?? 1,
                        message: "a pipeline file is a mapping with sources, transforms and sinks")
                ]
            )
        }
        let definition = checker.check(root: mapping, at: root, defaultName: defaultName)
        let diagnostics = checker.diagnostics.sorted()
        return (diagnostics.isEmpty ? definition : nil, diagnostics)
    }
}

/// The walk over one file's node tree.
package struct Checker {
    package let file: String
    package let catalog: ComponentRegistry
    package let environment: [String: String]
    package var diagnostics: [Diagnostic] = []
    /// Items all the values taken from this file may still hold (`value(_:_:)`): one
    /// budget for the file, so many aliases of a big value cannot add up to billions.
    package var valueItemsLeft = Checker.maxValueItems
    /// Components already reported as unreadable (no or an unknown `type:`, a bad id): a
    /// name leading to one is not reported again as unknown.
    package var unreadable = Set<String>()

    package static let topLevelKeys = ["name", "topics", "sources", "transforms", "sinks", "tests"]
    package static let topicKeys = [
        "partitions", "compression", "compression_level", "flush", "flush_interval_ms",
        "flush_interval_bytes", "segment_bytes", "segment_ms", "retention_bytes", "retention_ms", "replication_factor",
    ]

    package init(file: String, catalog: ComponentRegistry, environment: [String: String]) {
        self.file = file
        self.catalog = catalog
        self.environment = environment
    }

    package mutating func report(_ node: Node?, _ message: String, columnOffset: Int = 0) {
        let mark = node?.mark
        diagnostics.append(Diagnostic(file: file, line: mark?.line ?? 1, column: (mark?.column ?? 1) + columnOffset, message: message))
    }

    package func diagnostic(for error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return Diagnostic(file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(prefix)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Diagnostic(
                file: file, line: context.mark.line, column: context.mark.column,
                message: "\(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")) appears more than once in this mapping")
        default:
            return Diagnostic(file: file, line: 1, column: 1, message: "YAML: \(error)")
        }
    }

    // MARK: Scalars

    /// A scalar's text with `${VAR}` substituted, or nil (reported) if it is not a scalar.
    package mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else {
            report(node, "\(what) must be a single value, not a \(node.mapping != nil ? "mapping" : "list")")
            return nil
        }
        do {
            return try EnvironmentSubstitution.apply(scalar.string, environment)
        } catch {
            report(node, "environment variable \(error.name) is not set (write ${\(error.name):-default} for a default)")
            return nil
        }
    }

    package mutating func integer(_ node: Node, _ what: String, _ range: ClosedRange<Int64>) -> Int64? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int64(text.replacingOccurrences(of: "_", with: "")) else {
            report(node, "\(what) must be an integer, not '\(text)'")
            return nil
        }
        guard range.contains(value) else {
            report(
                node, "\(what) must be \(range.lowerBound)…\(range.upperBound == Int64.max ? "" : String(range.upperBound)), not \(value)")
            return nil
        }
        return value
    }

    package mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard let text = string(node, what) else { return nil }
        guard let flag = ["true": true, "false": false][text] else {
            report(node, "\(what) must be true or false, not '\(text)'")
            return nil
        }
        return flag
    }

    package mutating func stringList(_ node: Node, _ what: String) -> [String]? {
        if node.scalar != nil { return string(node, what).map { [$0] } }
        guard let sequence = node.sequence else {
            report(node, "\(what) must be a list of strings")
            return nil
        }
        return sequence.compactMap { string($0, what) }
    }

    /// A mapping's entries with string keys, reporting non-string keys and duplicates.
    package mutating func entries(_ node: Node, _ what: String) -> [(key: String, keyNode: Node, value: Node)]? {
        // An empty value (`raw:`, `~`, `null`) is an empty mapping: all defaults.
        if let scalar = node.scalar, scalar.style == .plain, ["", "~", "null"].contains(scalar.string) { return [] }
        guard let mapping = node.mapping else {
            report(node, "\(what) must be a mapping")
            return nil
        }
        var seen = Set<String>()
        var result: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                report(key, "keys in \(what) must be names")
                continue
            }
            guard seen.insert(name).inserted else {
                report(key, "'\(name)' appears twice in \(what)")
                continue
            }
            result.append((name, key, value))
        }
        return result
    }

    // MARK: The file

    package mutating func check(root: Node.Mapping, at node: Node, defaultName: String) -> PipelineDefinition {
        let top = entries(node, "the pipeline") ?? []
        for entry in top where !Self.topLevelKeys.contains(entry.key) {
            report(
                entry.keyNode,
                "unknown key '\(entry.key)'\(suggestion(for: entry.key, among: Self.topLevelKeys)); a pipeline has \(Self.topLevelKeys.joined(separator: ", "))"
            )
        }
        func section(_ name: String) -> Node? { top.first { $0.key == name }?.value }

        var name = defaultName
        if let node = section("name"), let value = string(node, "name") {
            if (try? TopicName.validate(value)) == nil {
                report(node, "name '\(value)' must use letters, digits, '.', '_' and '-' (it names groups and the dead-letter topic)")
            } else {
                name = value
            }
        }

        var topics: [String: TopicConfig] = [:]
        var topicNodes: [String: Node] = [:]
        if let node = section("topics") {
            for entry in entries(node, "topics") ?? [] {
                do {
                    try TopicName.validate(entry.key)
                } catch {
                    report(entry.keyNode, "\(error)")
                    continue
                }
                topics[entry.key] = topicConfig(entry.value, topic: entry.key)
                topicNodes[entry.key] = entry.keyNode
            }
        }

        var components: [ComponentDefinition] = []
        var idNodes: [String: Node] = [:]
        for kind in ComponentKind.allCases {
            guard let node = section(kind.section) else { continue }
            for entry in entries(node, kind.section) ?? [] {
                if let previous = idNodes[entry.key] {
                    report(entry.keyNode, "'\(entry.key)' is already the id of another component (line \(previous.mark?.line ?? 0))")
                    continue
                }
                idNodes[entry.key] = entry.keyNode
                if let component = self.component(entry.key, kind: kind, node: entry.value, pipeline: name) {
                    components.append(component)
                } else {
                    unreadable.insert(entry.key)
                }
            }
        }
        if components.isEmpty && diagnostics.isEmpty {
            report(node, "the pipeline has no sources, transforms or sinks")
        }
        checkGraph(components, topics: topics, idNodes: idNodes)
        var definition = PipelineDefinition(name: name, file: file, topics: topics, components: components)
        if let node = section("tests") { definition.tests = testCases(node, definition) }
        return definition
    }

    mutating func topicConfig(_ node: Node, topic: String) -> TopicConfig {
        var config = TopicConfig()
        for entry in entries(node, "topic '\(topic)'") ?? [] {
            let what = "\(entry.key) of topic '\(topic)'"
            switch entry.key {
            case "partitions": integer(entry.value, what, 1...10_000).map { config.partitions = Int($0) }
            case "compression":
                guard let text = string(entry.value, what) else { break }
                if let codec = CompressionCodec(name: text) {
                    config.compression = codec
                } else {
                    report(entry.value, "\(what) must be none or gzip, not '\(text)'")
                }
            case "compression_level": integer(entry.value, what, 1...9).map { config.compressionLevel = Int($0) }
            case "flush":
                guard let text = string(entry.value, what) else { break }
                if let policy = FlushPolicy(rawValue: text) {
                    config.flush = policy
                } else {
                    report(entry.value, "\(what) must be always, interval or pagecache, not '\(text)'")
                }
            case "flush_interval_ms": integer(entry.value, what, 1...86_400_000).map { config.flushIntervalMs = $0 }
            case "flush_interval_bytes": integer(entry.value, what, 1...Int64.max).map { config.flushIntervalBytes = $0 }
            case "segment_bytes": integer(entry.value, what, 1024...Int64(Int32.max)).map { config.segmentBytes = $0 }
            case "segment_ms": integer(entry.value, what, 1...Int64.max).map { config.segmentMs = $0 }
            case "retention_bytes": integer(entry.value, what, 0...Int64.max).map { config.retentionBytes = $0 }
            case "replication_factor": integer(entry.value, what, 1...32_767).map { config.replicationFactor = Int($0) }
            case "retention_ms":
                if entry.value.scalar?.string == "forever" {
                    config.retentionMs = nil
                } else {
                    integer(entry.value, what, 0...Int64.max).map { config.retentionMs = $0 }
                }
            default:
                report(
                    entry.keyNode,
                    "unknown topic option '\(entry.key)'\(suggestion(for: entry.key, among: Self.topicKeys)); known: \(Self.topicKeys.joined(separator: ", "))"
                )
            }
        }
        return config
    }

    // MARK: Components

    package mutating func component(_ id: String, kind: ComponentKind, node: Node, pipeline: String) -> ComponentDefinition? {
        guard id.range(of: "^[A-Za-z0-9_-]+$", options: .regularExpression) != nil else {
            report(node, "component id '\(id)' must use letters, digits, '_' and '-'")
            return nil
        }
        guard let fields = entries(node, "\(kind.rawValue) '\(id)'") else { return nil }
        guard let typeEntry = fields.first(where: { $0.key == "type" }) else {
            report(node, "\(kind.rawValue) '\(id)' needs a type: one of \(catalog.types(of: kind).joined(separator: ", "))")
            return nil
        }
        guard let type = string(typeEntry.value, "type") else { return nil }
        guard let spec = catalog.spec(kind, type) else {
            let known = catalog.types(of: kind)
            report(
                typeEntry.value,
                "unknown \(kind.rawValue) type '\(type)'\(suggestion(for: type, among: known)); known: \(known.joined(separator: ", "))")
            return nil
        }
        let options = ComponentRegistry.commonOptions(kind) + spec.options
        let problemsBefore = diagnostics.count
        var component = ComponentDefinition(
            id: id, kind: kind, type: type, inputs: [], topic: nil, group: "\(pipeline).\(id)", parallelism: 1,
            onError: "dlq", options: [:], expressions: [:], line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        for entry in fields where entry.key != "type" {
            guard let option = options.first(where: { $0.name == entry.key }) else {
                let names = options.map(\.name).filter { $0 != "type" }
                report(
                    entry.keyNode,
                    "unknown option '\(entry.key)' for \(kind.rawValue) type \(type)\(suggestion(for: entry.key, among: names)); it takes \(names.joined(separator: ", "))"
                )
                continue
            }
            component.optionPlaces[entry.key] = FilePlace(line: entry.value.mark?.line ?? 1, column: entry.value.mark?.column ?? 1)
            // A nested mapping's values too (`tls.certificate`): a factory that refuses
            // one (a file it cannot read) is reported where that value is written.
            for (key, value) in entry.value.mapping ?? [:] {
                guard let name = key.scalar?.string else { continue }
                component.optionPlaces["\(entry.key).\(name)"] = FilePlace(line: value.mark?.line ?? 1, column: value.mark?.column ?? 1)
            }
            checkOption(option, entry.value, into: &component)
        }
        for option in options where option.required && !fields.contains(where: { $0.key == option.name }) {
            report(node, "\(kind.rawValue) '\(id)' (\(type)) needs '\(option.name)'")
        }
        // What only the component can judge, once its options have the right types.
        if diagnostics.count == problemsBefore {
            do {
                try catalog.check(ComponentOptions(component, pipeline: pipeline))
            } catch let error as OptionError {
                let place = error.place
                diagnostics.append(Diagnostic(file: file, line: place.line, column: place.column, message: error.description))
            } catch {
                diagnostics.append(
                    Diagnostic(file: file, line: component.line, column: component.column, message: "\(kind.rawValue) '\(id)': \(error)"))
            }
        }
        return component
    }

    package mutating func checkOption(_ option: OptionSpec, _ node: Node, into component: inout ComponentDefinition) {
        guard
            let value = value(
                of: option, node, "\(option.name) of '\(component.id)'", key: option.name,
                expressions: &component.expressions)
        else { return }
        component.options[option.name] = value
        // Options every component of a kind takes, which the definition also keeps apart.
        switch (option.name, value) {
        case ("topic", .string(let text)) where component.kind == .source: component.topic = text
        case ("group", .string(let text)):
            if (try? TopicName.validate(text)) == nil { report(node, "group '\(text)' must use letters, digits, '.', '_' and '-'") }
            component.group = text
        case ("parallelism", .int(let n)): component.parallelism = Int(n)
        case ("inputs", .array(let items)):
            if items.isEmpty { report(node, "inputs of '\(component.id)' must name at least one topic or transform") }
            component.inputs = items.compactMap { if case .string(let text) = $0 { text } else { nil } }
        case ("on_error", .string(let text)): component.onError = text
        default: break
        }
    }

    /// The value of `node` as `option` says, or nil with the problem reported; `what`
    /// names it in messages. Expressions are kept in `expressions` under `key` (an
    /// expression map's under `<key>.<name>`).
    mutating func value(
        of option: OptionSpec, _ node: Node, _ what: String, key: String,
        expressions: inout [String: Expression]
    ) -> Value? {
        switch option.kind {
        case .string:
            return string(node, what).map(Value.string)
        case .integer(let range):
            return integer(node, what, range).map(Value.int)
        case .bool:
            return bool(node, what).map(Value.bool)
        case .stringList:
            return stringList(node, what).map { .array($0.map(Value.string)) }
        case .oneOf(let choices):
            guard let text = string(node, what) else { return nil }
            guard choices.contains(text) else {
                report(
                    node, "\(what) must be one of \(choices.joined(separator: ", ")), not '\(text)'\(suggestion(for: text, among: choices))"
                )
                return nil
            }
            return .string(text)
        case .expression:
            guard let text = string(node, what), let expression = expression(text, node, what) else { return nil }
            expressions[key] = expression
            return .string(text)
        case .regex:
            guard let text = string(node, what) else { return nil }
            do {
                _ = try CompiledRegex(text)
                return .string(text)
            } catch {
                report(node, "\(what) is not a valid regex: \(error)")
                return nil
            }
        case .expressionMap:
            var values = Fields()
            for entry in entries(node, what) ?? [] {
                guard let text = string(entry.value, "\(entry.key) of \(what)"),
                    let expression = expression(text, entry.value, "\(entry.key) of \(what)")
                else { continue }
                expressions["\(key).\(entry.key)"] = expression
                values[entry.key] = .string(text)
            }
            return .object(values)
        case .stringMap:
            var values = Fields()
            for entry in entries(node, what) ?? [] {
                if let text = string(entry.value, "\(entry.key) of \(what)") { values[entry.key] = .string(text) }
            }
            return .object(values)
        case .object(let schema):
            return object(node, schema, what, key: key, expressions: &expressions)
        case .plugin(let type):
            return value(node, as: type, what)
        }
    }

    /// A nested mapping checked against its schema: every entry as its option says, keys
    /// the schema lacks reported, and what it requires.
    mutating func object(
        _ node: Node, _ schema: OptionSchema, _ what: String, key: String,
        expressions: inout [String: Expression]
    ) -> Value {
        let given = entries(node, what) ?? []
        let known = schema.options.map(\.name)
        var values = Fields()
        for entry in given {
            guard let option = schema.options.first(where: { $0.name == entry.key }) else {
                report(
                    entry.keyNode,
                    "unknown option '\(entry.key)' in \(what)\(suggestion(for: entry.key, among: known)); it takes \(known.joined(separator: ", "))"
                )
                continue
            }
            values[entry.key] = value(
                of: option, entry.value, "\(entry.key) of \(what)", key: "\(key).\(entry.key)", expressions: &expressions)
        }
        for option in schema.options where option.required && !given.contains(where: { $0.key == option.name }) {
            report(node, "\(what) needs '\(option.name)'")
        }
        if !schema.requiresOneOf.isEmpty && !given.contains(where: { schema.requiresOneOf.contains($0.key) }) {
            report(node, "\(what) needs \(schema.requiresOneOf.joined(separator: " or "))")
        }
        return .object(values)
    }

    /// Parses an expression, reporting an error at its column inside the YAML value.
    mutating func expression(_ text: String, _ node: Node, _ what: String) -> Expression? {
        do {
            return try Expression(parsing: text)
        } catch {
            // The column maps onto the file only when the value is written out on one line as
            // it is parsed: plain, or quoted without escapes, and nothing substituted.
            let scalar = node.scalar
            let style = scalar?.style
            let raw = scalar?.string ?? ""
            let oneToOne =
                raw == text && !raw.contains("\n")
                && (style == .plain
                    || (style == .singleQuoted && !raw.contains("'"))
                    || (style == .doubleQuoted && !raw.contains("\"") && !raw.contains("\\")))
            if oneToOne {
                report(node, "\(what): \(error.message)", columnOffset: error.column - 1 + (style == .plain ? 0 : 1))
            } else {
                report(node, "\(what): \(error.message) (column \(error.column) of the expression)")
            }
            return nil
        }
    }

    // MARK: The graph

    /// Every output a transform offers, with the transform that offers it: its id, or for
    /// a route `<id>.<case>` and `<id>._unmatched` (a route writes only to its cases).
    package static func transformOutputs(_ components: [ComponentDefinition]) -> [String: String] {
        var producerOf: [String: String] = [:]
        for transform in components where transform.kind == .transform {
            guard transform.type == "route" else {
                producerOf[transform.id] = transform.id
                continue
            }
            let cases = if case .object(let routes) = transform.options["routes"] { Array(routes.keys) } else { [String]() }
            for name in cases + ["_unmatched"] { producerOf["\(transform.id).\(name)"] = transform.id }
        }
        return producerOf
    }

    /// Whether `name` is, or is an output (`<id>.<case>`) of, a component already
    /// reported as unreadable: what it offers is unknown, so naming it is no new mistake.
    package func leadsToUnreadable(_ name: String) -> Bool {
        unreadable.contains(name) || name.firstIndex(of: ".").map { unreadable.contains(String(name[..<$0])) } == true
    }

    mutating func checkGraph(_ components: [ComponentDefinition], topics: [String: TopicConfig], idNodes: [String: Node]) {
        let transforms = Dictionary(uniqueKeysWithValues: components.filter { $0.kind == .transform }.map { ($0.id, $0) })
        for route in transforms.values where route.type == "route" {
            if case .object(let cases) = route.options["routes"], cases["_unmatched"] != nil {
                report(idNodes[route.id], "route '\(route.id)' cannot name a case '_unmatched': that output is for records no case matched")
            }
        }
        let producerOf = Self.transformOutputs(components)
        let outputs = Set(producerOf.keys)
        for id in transforms.keys where topics[id] != nil {
            report(idNodes[id], "'\(id)' is both a topic and a transform: inputs naming it would be ambiguous")
        }
        for component in components {
            let node = idNodes[component.id]
            if component.kind == .source, let topic = component.topic, topics[topic] == nil {
                report(
                    node,
                    "source '\(component.id)' writes topic '\(topic)', which is not declared under topics\(suggestion(for: topic, among: topics.keys))"
                )
            }
            if component.type == "topic", component.kind == .sink, case .string(let topic) = component.options["topic"],
                topics[topic] == nil
            {
                report(
                    node,
                    "sink '\(component.id)' writes topic '\(topic)', which is not declared under topics\(suggestion(for: topic, among: topics.keys))"
                )
            }
            if component.kind == .transform, component.type == "lookup", case .string(let topic) = component.options["topic"],
                topics[topic] == nil
            {
                let place = component.optionPlaces["topic"]
                diagnostics.append(
                    Diagnostic(
                        file: file, line: place?.line ?? component.line, column: place?.column ?? component.column,
                        message:
                            "transform '\(component.id)' reads topic '\(topic)' as its table, which is not declared under topics\(suggestion(for: topic, among: topics.keys))"
                    ))
            }
            for input in component.inputs {
                if let topic = topics[input] {
                    if component.parallelism > topic.partitions {
                        report(
                            node,
                            "parallelism \(component.parallelism) of '\(component.id)' is more than the \(topic.partitions) partitions of '\(input)': members beyond that would sit idle"
                        )
                    }
                } else if !outputs.contains(input) && !leadsToUnreadable(input) {
                    let hint = transforms[input]?.type == "route" ? " (a route's outputs are \(input).<case> and \(input)._unmatched)" : ""
                    report(
                        node,
                        "input '\(input)' of '\(component.id)' is neither a declared topic nor a transform output\(hint)\(suggestion(for: input, among: Array(topics.keys) + Array(outputs)))"
                    )
                }
            }
        }
        // A transform with state per partition fed by a topic that sources fill round-robin
        // (unkeyed, a chunk to each partition in turn) over several partitions would see a
        // group's records apart, in as many windows as partitions.
        for component in components
        where component.kind == .transform && catalog.spec(.transform, component.type)?.keepsStatePerPartition == true {
            var upstream = component.inputs
            var seen = Set<String>()
            while let input = upstream.popLast() {
                guard seen.insert(input).inserted else { continue }
                if let topic = topics[input] {
                    guard topic.partitions > 1,
                        let source = components.first(where: { $0.kind == .source && $0.topic == input })
                    else { continue }
                    report(
                        idNodes[component.id],
                        "\(component.type) '\(component.id)' keeps its state per partition, but topic '\(input)' has \(topic.partitions) partitions that source '\(source.id)' fills in turn: a group's records would be counted apart in each. Give '\(input)' one partition, or key a topic by the group (a topic sink with key:) and read that"
                    )
                } else if let id = producerOf[input], let upstreamInputs = transforms[id]?.inputs {
                    upstream += upstreamInputs
                }
            }
        }
        // Cycles among transforms (an input naming `route.case` depends on `route`).
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ id: String, _ path: [String], _ checker: inout Checker) {
            if state[id] == 2 { return }
            if state[id] == 1 {
                let cycle = (path.drop { $0 != id } + [id]).joined(separator: " → ")
                checker.report(idNodes[id], "transforms form a cycle: \(cycle)")
                return
            }
            state[id] = 1
            for input in transforms[id]?.inputs ?? [] where topics[input] == nil {
                if let upstream = producerOf[input] { visit(upstream, path + [id], &checker) }
            }
            state[id] = 2
        }
        for id in transforms.keys.sorted() { visit(id, [], &self) }
    }
}
