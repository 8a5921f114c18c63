import Foundation
import WeirLog
import WeirPipeline

/// The body of `GET /api/pipelines` (field names are stable; docs/operations.md lists
/// them): every pipeline with its components' state, counts and rates, its groups'
/// offsets, and the log's topics.
struct PipelinesReport: Encodable {
    var uptimeSeconds: Double
    var ready: Bool
    var pipelines: [Pipeline]
    var topics: [Topic]

    struct Pipeline: Encodable {
        var name: String
        var file: String
        var state: String
        var detail: String?
        var components: [Component]
        var groups: [Group]
    }

    struct Component: Encodable {
        var id: String
        var kind: String
        var type: String
        var state: String
        var detail: String?
        var inputs: [String]
        var receivedRecords: Int
        var sentRecords: Int
        var receivedBytes: Int
        var errors: Int
        var deadLettered: Int
        /// Over the last second.
        var receivedRecordsPerSecond: Double
        var sentRecordsPerSecond: Double
        var receivedBytesPerSecond: Double
        /// Sinks only: records of their input topics not yet written.
        var lag: Int64?
    }

    struct Group: Encodable {
        var group: String
        var sink: String
        var topic: String
        var partition: Int
        var committed: Int64
        var end: Int64
        var lag: Int64
    }

    struct Topic: Encodable {
        var name: String
        var partitions: [Partition]
    }

    struct Partition: Encodable {
        var partition: Int
        var startOffset: Int64
        var endOffset: Int64
        var sizeBytes: Int64
        var segments: Int
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
                        receivedRecordsPerSecond: (rate.received * 10).rounded() / 10, sentRecordsPerSecond: (rate.sent * 10).rounded() / 10,
                        receivedBytesPerSecond: rate.bytes.rounded(),
                        lag: stats.kind == .sink ? snapshot.sinkLag[ObjectIdentifier(stats)] ?? 0 : nil)
                },
                groups: (snapshot.groups[runner.definition.name] ?? []).map {
                    Group(group: $0.group, sink: $0.sink, topic: $0.topic, partition: $0.partition, committed: $0.committed, end: $0.end, lag: $0.lag)
                })
        }
        var topics: [String: [Partition]] = [:]
        for state in snapshot.partitions {
            topics[state.topic, default: []].append(Partition(
                partition: state.partition, startOffset: state.startOffset, endOffset: state.endOffset, sizeBytes: state.sizeBytes, segments: state.segments))
        }
        self.topics = topics.keys.sorted().map { Topic(name: $0, partitions: topics[$0]!) }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
