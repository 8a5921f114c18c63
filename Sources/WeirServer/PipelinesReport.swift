import Foundation
import WeirLog
import WeirPipeline

/// The body of `GET /api/pipelines` (field names are stable; docs/operations.md lists
/// them): every pipeline with its components' state, counts and rates, its groups'
/// offsets, and the log's topics.
public struct PipelinesReport: Codable, Sendable {
    public var uptimeSeconds: Double
    public var ready: Bool
    public var pipelines: [Pipeline]
    public var topics: [Topic]

    public struct Pipeline: Codable, Sendable {
        public var name: String
        public var file: String
        public var state: String
        public var detail: String?
        public var components: [Component]
        public var groups: [Group]
    }

    public struct Component: Codable, Sendable {
        public var id: String
        public var kind: String
        public var type: String
        public var state: String
        public var detail: String?
        public var inputs: [String]
        public var receivedRecords: Int
        public var sentRecords: Int
        public var receivedBytes: Int
        public var errors: Int
        public var deadLettered: Int
        /// Over the last second.
        public var receivedRecordsPerSecond: Double
        public var sentRecordsPerSecond: Double
        public var receivedBytesPerSecond: Double
        /// Sinks only: records of their input topics not yet written.
        public var lag: Int64?
    }

    public struct Group: Codable, Sendable {
        public var group: String
        public var sink: String
        public var topic: String
        public var partition: Int
        public var committed: Int64
        public var end: Int64
        public var lag: Int64
    }

    public struct Topic: Codable, Sendable {
        public var name: String
        public var partitions: [Partition]
    }

    public struct Partition: Codable, Sendable {
        public var partition: Int
        public var startOffset: Int64
        public var endOffset: Int64
        public var sizeBytes: Int64
        public var segments: Int
    }

    init(_ monitor: RunMonitor) {
        let snapshot = monitor.snapshot
        uptimeSeconds = Date().timeIntervalSince(monitor.startedAt)
        ready = monitor.notReady().isEmpty
        pipelines = monitor.runners.map { runner in
            let phase = runner.phase
            let detail: String? = if case .failed(let reason) = phase { reason } else { nil }
            return Pipeline(
                name: runner.definition.name, file: runner.definition.file, state: phase.name, detail: detail,
                components: zip(runner.definition.components, runner.stats).map { definition, stats in
                    let counts = stats.counts
                    let rate = snapshot.rates[ObjectIdentifier(stats)] ?? .init()
                    return Component(
                        id: stats.id, kind: stats.kind.rawValue, type: stats.type, state: stats.state.name, detail: stats.state.detail,
                        inputs: definition.inputs, receivedRecords: counts.received, sentRecords: counts.sent, receivedBytes: counts.bytes,
                        errors: counts.errors, deadLettered: counts.deadLettered,
                        receivedRecordsPerSecond: (rate.received * 10).rounded() / 10,
                        sentRecordsPerSecond: (rate.sent * 10).rounded() / 10,
                        receivedBytesPerSecond: rate.bytes.rounded(),
                        lag: stats.kind == .sink ? snapshot.sinkLag[ObjectIdentifier(stats)] ?? 0 : nil)
                },
                groups: (snapshot.groups[runner.definition.name] ?? []).map {
                    Group(
                        group: $0.group, sink: $0.sink, topic: $0.topic, partition: $0.partition, committed: $0.committed, end: $0.end,
                        lag: $0.lag)
                })
        }
        topics = snapshot.topics
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
