import Foundation
import WeirTestSupport

/// Every PromQL query of a Grafana dashboard (each panel target's `expr`, rows' nested
/// panels included, and each query variable's `label_values(…)`), with the names and
/// labels it uses, held against the series of a real scrape.
struct DashboardQueries {
    struct Query {
        /// Where it is, for messages: `panel 'Sink lag' (A)`, `variable 'instance'`.
        var place: String
        var expression: String
        var names: PromQLNames
        /// `{{label}}` of the target's legend.
        var legendLabels: Set<String>
    }

    /// Labels Prometheus adds to every series it scrapes (the target's), so never in /metrics.
    static let targetLabels: Set<String> = ["job", "instance"]

    let dashboard: [String: Any]
    private(set) var queries: [Query] = []

    init(json: Data) throws {
        dashboard = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                guard let expression = target["expr"] as? String else { continue }
                let legend = target["legendFormat"] as? String ?? ""
                queries.append(
                    Query(
                        place: "panel '\(title)' (\(target["refId"] as? String ?? "?"))", expression: expression,
                        names: PromQLNames(expression), legendLabels: Self.legendLabels(legend)))
            }
        }
        for variable in variables where variable["type"] as? String == "query" {
            let name = variable["name"] as? String ?? "?"
            let query = variable["definition"] as? String ?? (variable["query"] as? [String: Any])?["query"] as? String ?? ""
            queries.append(
                Query(place: "variable '\(name)'", expression: query, names: Self.labelValues(query), legendLabels: []))
        }
    }

    /// Every panel, rows' own and their nested ones.
    var panels: [[String: Any]] {
        (dashboard["panels"] as? [[String: Any]] ?? []).flatMap { [$0] + ($0["panels"] as? [[String: Any]] ?? []) }
    }

    var variables: [[String: Any]] { (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] }

    /// `{{label}}` placeholders of a legend format.
    static func legendLabels(_ legend: String) -> Set<String> {
        var labels: Set<String> = []
        var rest = legend[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            labels.insert(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return labels
    }

    /// `label_values(selector, label)`: the selector's names, with `label` as a
    /// grouping label (it must be on the selector's metric). Anything else: no names.
    static func labelValues(_ query: String) -> PromQLNames {
        let trimmed = query.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("label_values("), trimmed.hasSuffix(")") else { return PromQLNames("") }
        let inner = trimmed.dropFirst("label_values(".count).dropLast()
        guard let comma = inner.lastIndex(of: ",") else { return PromQLNames("") }
        var names = PromQLNames(String(inner[..<comma]))
        names.groupingLabels.insert(inner[inner.index(after: comma)...].trimmingCharacters(in: .whitespaces))
        return names
    }

    /// The label names of each sample name of a scrape (`x_total`, `x_bucket`, … as exposed).
    static func labels(of scrape: Scrape) -> [String: Set<String>] {
        scrape.samples.reduce(into: [:]) { labels, sample in labels[sample.name, default: []].formUnion(sample.labels.keys) }
    }

    /// One line per name the queries use that `series` lacks, and per label a metric
    /// lacks; none when the dashboard and the scrape agree.
    func problems(against series: [String: Set<String>]) -> [String] {
        var problems: [String] = []
        for query in queries {
            if query.names.metrics.isEmpty {
                problems.append("\(query.place): no weir_ or process_ metric in `\(query.expression)`")
            }
            for label in query.names.unownedMatchers.sorted() {
                problems.append("\(query.place): matcher on '\(label)' with no metric name before it in `\(query.expression)`")
            }
            for metric in query.names.metrics.sorted() {
                guard let labels = series[metric] else {
                    let stem = metric.split(separator: "_").prefix(2).joined(separator: "_") + "_"
                    let near = series.keys.filter { $0.hasPrefix(stem) }.sorted()
                    problems.append(
                        "\(query.place): metric \(metric) is not in /metrics "
                            + (near.isEmpty ? "(nothing there starts with \(stem))" : "(there: \(near.joined(separator: ", ")))"))
                    continue
                }
                let needed = (query.names.matcherLabels[metric] ?? []).union(query.names.groupingLabels)
                    .union(query.legendLabels).subtracting(Self.targetLabels)
                for label in needed.sorted() where !labels.contains(label) {
                    problems.append(
                        "\(query.place): label '\(label)' is not on \(metric) in /metrics "
                            + "(its labels: \(labels.sorted().joined(separator: ", ")))")
                }
            }
        }
        return problems
    }
}
