import Foundation
import WeirPipeline

/// The body of `GET /api/history` (field names are stable; docs/operations.md lists
/// them): the samples the ring holds, oldest first, as one array per value and
/// component, so each name is written once, not 900 times.
struct HistoryReport: Encodable {
    var intervalSeconds = 1
    var capacity: Int
    /// The number of the newest sample (0 when none was taken): an event with a larger
    /// `sequence` is newer than the history.
    var sequence: UInt64
    /// Seconds since 1970, one per sample.
    var times: [Double]
    var components: [Series]

    struct Series: Encodable {
        /// `kind:pipeline/id`, the id of its node in `/api/graph`.
        var node: String
        var pipeline: String
        var id: String
        var kind: String
        var type: String
        var receivedRecordsPerSecond: [Double]
        var sentRecordsPerSecond: [Double]
        var receivedBytesPerSecond: [Double]
        var errors: [UInt32]
        var deadLettered: [UInt32]
        /// Sinks only.
        var lag: [Int64]?
    }

    init(_ history: RunHistory) {
        let ring = history.snapshot
        let slots = ring.slots(capacity: history.capacity)
        capacity = history.capacity
        sequence = ring.sequence
        times = slots.map { ring.times[$0] }
        components = zip(ring.components, ring.columns).map { component, column in
            Series(
                node: Self.node(component), pipeline: component.pipeline, id: component.id, kind: component.kind, type: component.type,
                receivedRecordsPerSecond: slots.map { Self.tenths(column.received[$0]) },
                sentRecordsPerSecond: slots.map { Self.tenths(column.sent[$0]) },
                receivedBytesPerSecond: slots.map { Double(column.bytes[$0]).rounded() },
                errors: slots.map { column.errors[$0] }, deadLettered: slots.map { column.deadLettered[$0] },
                lag: column.lag.isEmpty ? nil : slots.map { column.lag[$0] })
        }
    }

    static func node(_ component: RunHistory.Component) -> String {
        PipelineGraph.componentID(kind: component.kind, pipeline: component.pipeline, id: component.id)
    }

    /// A rate to a tenth, as `/api/pipelines` rounds it (a `Float` printed whole would
    /// show its binary noise).
    static func tenths(_ value: Float) -> Double { (Double(value) * 10).rounded() / 10 }
}

/// One `event: sample` of `GET /api/events`: the newest sample, each component with the
/// fields of a `/api/history` series holding one value instead of an array, plus its
/// state as `/api/pipelines` has it.
struct SampleEvent: Encodable {
    var sequence: UInt64
    var time: Double
    var components: [Component]

    struct Component: Encodable {
        var node: String
        var pipeline: String
        var id: String
        var kind: String
        var type: String
        /// `starting`, `running`, `finished`, `failed`.
        var state: String
        /// What it waits for (a restarting plugin says so here), or why it failed.
        var detail: String?
        var receivedRecordsPerSecond: Double
        var sentRecordsPerSecond: Double
        var receivedBytesPerSecond: Double
        var errors: UInt32
        var deadLettered: UInt32
        var lag: Int64?
    }

    /// `event: sample`, its JSON on one `data:` line, and the blank line that ends it.
    var serverSentEvent: [UInt8] {
        let json = (try? PipelinesReport.encoder().encode(self)).map(Array.init) ?? Array("{}".utf8)
        return Array("event: sample\nid: \(sequence)\ndata: ".utf8) + json + Array("\n\n".utf8)
    }
}
