import Foundation
import WeirServer

/// What `weir top` draws from `/api/pipelines` (decoded as the server encodes it,
/// `PipelinesReport`): one row per component, grouped by
/// pipeline, with rates, totals, errors and lag.
struct TopView {
    typealias Report = PipelinesReport

    static func decode(_ data: Data) throws -> Report {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Report.self, from: data)
    }

    static let header = ["COMPONENT", "KIND", "TYPE", "STATE", "IN/S", "OUT/S", "BYTES/S", "OUT", "ERRORS", "DLQ", "LAG"]

    /// The table's rows (a header, then per pipeline a title row and its components),
    /// padded to aligned columns.
    static func lines(_ report: Report) -> [String] {
        var rows: [[String]] = [header]
        for pipeline in report.pipelines {
            rows.append([pipeline.name, "pipeline", "", pipeline.state + (pipeline.detail.map { ": \($0)" } ?? "")])
            for c in pipeline.components {
                rows.append([
                    "  " + c.id, c.kind, c.type, c.state,
                    c.kind == "source" ? "" : number(c.receivedRecordsPerSecond),
                    number(c.sentRecordsPerSecond), c.kind == "transform" ? "" : RunProgress.bytes(c.receivedBytesPerSecond),
                    number(Double(c.sentRecords)), String(c.errors), String(c.deadLettered), c.lag.map { number(Double($0)) } ?? "",
                ])
            }
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows where row.count == header.count {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            // A pipeline's title row: its state runs on past the columns.
            if row.count < header.count {
                return row.enumerated().map { $1.padding(toLength: max(widths[$0], $1.count), withPad: " ", startingAt: 0) }.joined(
                    separator: "  ")
            }
            return row.enumerated().map { i, cell in
                i < 4
                    ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }
    }

    /// Components that are not running, with why, for under the table.
    static func problems(_ report: Report) -> [String] {
        report.pipelines.flatMap { pipeline in
            pipeline.components.compactMap { c in
                guard c.state != "running" && c.state != "finished" || c.detail != nil else { return nil }
                return "\(pipeline.name).\(c.id): \(c.state)" + (c.detail.map { ": \($0)" } ?? "")
            }
        }
    }

    static func number(_ value: Double) -> String {
        switch value {
        case 10_000_000...: String(format: "%.0fM", value / 1e6)
        case 1_000_000...: String(format: "%.1fM", value / 1e6)
        case 10_000...: String(format: "%.0fk", value / 1e3)
        case 1_000...: String(format: "%.1fk", value / 1e3)
        default: String(format: "%.0f", value)
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s >= 3600 { return "\(s / 3600)h \(s % 3600 / 60)m" }
        if s >= 60 { return "\(s / 60)m \(s % 60)s" }
        return "\(s)s"
    }
}
