/// The metric names and label names one PromQL expression uses, so a test can hold
/// them against a real `/metrics` (GrafanaDashboardTests). A rename in the code then
/// fails a test instead of blanking a dashboard panel in production.
///
/// Not a PromQL parser: a tokenizer and a few rules, enough for what
/// deploy/grafana/weir.json writes. Its limits:
/// - Metric names are the identifiers starting with `weir_` or `process_` (the only
///   prefixes Weir exports); a selector without a name (`{__name__=~"…"}`) is not seen.
/// - A matcher's label (`{label="…"}`, `=~`, `!=`, `!~`) belongs to the name just before
///   its `{`; a `{…}` after anything else is reported in `unownedMatchers`.
/// - The labels of `by (…)`, `without (…)`, `on (…)`, `ignoring (…)`, `group_left (…)`
///   and `group_right (…)`, wherever the clause stands, go to `groupingLabels`: the
///   caller takes them to be needed on every metric of the expression. True of the
///   dashboard's expressions (one metric each, or several with the same labels); one
///   joining metrics of different labels would need finer rules.
/// - `[…]` (ranges, subqueries) and string literals are skipped whole, so Grafana's
///   `$variables` in them are never taken for names.
struct PromQLNames: Equatable {
    var metrics: Set<String> = []
    /// Labels of matchers, per metric.
    var matcherLabels: [String: Set<String>] = [:]
    /// Labels of grouping and matching clauses.
    var groupingLabels: Set<String> = []
    /// Labels of matchers with no metric name before their `{`.
    var unownedMatchers: Set<String> = []

    static let groupingKeywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right"]
    static let matchOperators: Set<String> = ["=", "=~", "!=", "!~"]

    static func isMetric(_ name: String) -> Bool { name.hasPrefix("weir_") || name.hasPrefix("process_") }

    init(_ expression: String) {
        let tokens = PromQLToken.scan(expression)
        var index = 0
        while index < tokens.count {
            defer { index += 1 }
            switch tokens[index] {
            case .name(let name) where Self.isMetric(name):
                metrics.insert(name)
            case .name(let keyword) where Self.groupingKeywords.contains(keyword):
                guard index + 1 < tokens.count, tokens[index + 1] == .symbol("(") else { continue }
                index += 2
                while index < tokens.count, tokens[index] != .symbol(")") {
                    if case .name(let label) = tokens[index] { groupingLabels.insert(label) }
                    index += 1
                }
            case .symbol("{"):
                var owner: String?
                if index > 0, case .name(let name) = tokens[index - 1], Self.isMetric(name) { owner = name }
                index += 1
                while index < tokens.count, tokens[index] != .symbol("}") {
                    if case .name(let label) = tokens[index], index + 1 < tokens.count,
                        case .symbol(let op) = tokens[index + 1], Self.matchOperators.contains(op)
                    {
                        if let owner {
                            matcherLabels[owner, default: []].insert(label)
                        } else {
                            unownedMatchers.insert(label)
                        }
                    }
                    index += 1
                }
            default:
                break
            }
        }
    }
}

/// A token of PromQL, as far as PromQLNames needs: names, symbols, and the rest
/// (numbers, durations, strings, ranges, Grafana variables) as `other`.
enum PromQLToken: Equatable {
    case name(String)
    case symbol(String)
    case other

    static func scan(_ text: String) -> [PromQLToken] {
        let bytes = Array(text.utf8)
        var tokens: [PromQLToken] = []
        var index = 0
        func isNameStart(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
        }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        /// Moves past bytes while `condition` holds.
        func skip(while condition: (UInt8) -> Bool) {
            while index < bytes.count, condition(bytes[index]) { index += 1 }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
                // A string: to its closing quote (backslash escapes, except in backticks).
                index += 1
                while index < bytes.count, bytes[index] != byte {
                    index += bytes[index] == UInt8(ascii: "\\") && byte != UInt8(ascii: "`") ? 2 : 1
                }
                index += 1
                tokens.append(.other)
            case UInt8(ascii: "["):
                skip { $0 != UInt8(ascii: "]") }
                index += 1
                tokens.append(.other)
            case UInt8(ascii: "$"):
                // A Grafana variable: $name or ${name}.
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
                    skip { $0 != UInt8(ascii: "}") }
                    index += 1
                } else {
                    skip { isNameStart($0) || isDigit($0) }
                }
                tokens.append(.other)
            case _ where isDigit(byte) || byte == UInt8(ascii: "."):
                // Numbers and durations (0.99, 1e3, 5m).
                skip { isNameStart($0) || isDigit($0) || $0 == UInt8(ascii: ".") }
                tokens.append(.other)
            case _ where isNameStart(byte):
                let start = index
                skip { isNameStart($0) || isDigit($0) }
                tokens.append(.name(String(decoding: bytes[start..<index], as: UTF8.self)))
            case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "~"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                let start = index
                skip { "=!~<>".utf8.contains($0) }
                tokens.append(.symbol(String(decoding: bytes[start..<index], as: UTF8.self)))
            default:
                index += 1
                tokens.append(.symbol(String(decoding: [byte], as: UTF8.self)))
            }
        }
        return tokens
    }
}
