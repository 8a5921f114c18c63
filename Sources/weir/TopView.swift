import Foundation
import WeirKafka
import WeirLog
import WeirServer

/// What `weir top` draws from `/api/pipelines` (decoded as the server encodes it,
/// `PipelinesReport`): one row per component, grouped by
/// pipeline, with rates, totals, errors and lag; and, when the weir serves Kafka, from
/// `/api/kafka` its Kafka clients and the groups' members among them.
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

    /// `/api/kafka`: whether the weir serves Kafka, and then `KafkaClientsReport`'s fields.
    struct Kafka: Decodable {
        var serving: Bool
        var clients: [KafkaClients.Connection]?
        var groups: [KafkaClientsReport.Group]?
    }

    /// Its keys are snake_case as they are: no key strategy (`client_id` would not match).
    static func decodeKafka(_ data: Data) throws -> Kafka {
        try JSONDecoder().decode(Kafka.self, from: data)
    }

    static let clientsHeader = ["ADDRESS", "CLIENT", "SOFTWARE", "USER", "REQUESTS", "IN", "OUT", "AGE"]
    static let membersHeader = ["GROUP", "MEMBER", "CLIENT", "HOST", "PARTITIONS", "LAG"]

    /// The Kafka sections: the listener's connections, then the members of its groups
    /// that are Kafka clients (a member's lag is over its partitions).
    static func kafkaLines(_ kafka: Kafka) -> [String] {
        let clients = (kafka.clients ?? []).map { c in
            [
                c.peer, c.clientID ?? "", c.clientSoftware ?? "", c.user ?? "", number(Double(c.requests)),
                RunProgress.bytes(Double(c.receivedBytes)), RunProgress.bytes(Double(c.sentBytes)), duration(c.connectedSeconds),
            ]
        }
        let members = (kafka.groups ?? []).flatMap { group in
            group.members.map { m in
                [group.group, m.memberID, m.clientID, m.host, partitions(m.partitions), m.lag.map { number(Double($0)) } ?? ""]
            }
        }
        var lines = clients.isEmpty ? ["Kafka clients: none connected"] : ["Kafka clients"] + table(clientsHeader, clients, left: 4)
        lines.append("")
        lines +=
            members.isEmpty ? ["Group members from outside: none"] : ["Group members from outside"] + table(membersHeader, members, left: 5)
        return lines
    }

    /// `topic/0,1,2` per topic, in order.
    static func partitions(_ partitions: [TopicPartition]) -> String {
        var topics: [String] = []
        var byTopic: [String: [Int]] = [:]
        for p in partitions {
            if byTopic[p.topic] == nil { topics.append(p.topic) }
            byTopic[p.topic, default: []].append(p.partition)
        }
        return topics.map { "\($0)/" + (byTopic[$0] ?? []).map(String.init).joined(separator: ",") }.joined(separator: " ")
    }

    /// `rows` under `header`, padded to aligned columns: the first `left` left-aligned, the
    /// rest (numbers) right-aligned.
    static func table(_ header: [String], _ rows: [[String]], left: Int) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        return all.map { row in
            let line = row.enumerated().map { i, cell in
                i < left
                    ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
            return String(line.reversed().drop { $0 == " " }.reversed())
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
