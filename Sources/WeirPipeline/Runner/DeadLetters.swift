import Foundation
import Synchronization
import WeirLog
import WeirValues

/// The dead-letter topic of a pipeline, `<pipeline>.dlq`: records a component could not
/// handle, with headers naming the component (`weir.component`) and the reason
/// (`weir.reason`). Created on first use, one partition.
///
/// Records are queued and appended on `flush`, which the runner calls before it commits
/// the input they came from: a dead letter is never lost, and after a crash between the
/// two it may be written twice (at least once). The warnings about them are rate-limited
/// (`DeadLetterWarnings`): logged after the flush that appended them.
final class DeadLetters: Sendable {
    let topicName: String
    let log: any PipelineLog
    let warnings: DeadLetterWarnings
    private let pending = Mutex<[Record]>([])
    private let appending = Mutex<(any LogAppender)?>(nil)
    /// Each component's counters, by id: a dead letter counts for the component named.
    private let stats: [String: ComponentStats]

    init(pipeline: String, log: any PipelineLog, stats: [ComponentStats] = [], warnings: DeadLetterWarnings) {
        topicName = pipeline + ".dlq"
        self.log = log
        self.warnings = warnings
        self.stats = Dictionary(stats.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func add(_ value: UnsafeRawBufferPointer, reason: String, component: String, headers: [RecordHeader] = []) {
        let record = Record(value: Array(value), timestamp: currentTimeMillis(), headers: Self.headers(reason, component) + headers)
        pending.withLock { $0.append(record) }
        count(component, reason)
    }

    /// A transform's failures are counted as errors where it runs (the graph); a source's
    /// or a sink's only here.
    private func count(_ component: String, _ reason: String) {
        warnings.count(component: component, reason: reason)
        guard let stats = stats[component] else { return }
        stats.addDeadLettered(1, errors: stats.kind == .transform ? 0 : 1)
    }

    /// A record as it left the last component that handled it: its fields as JSON.
    func add(_ record: PipelineRecord, reason: String, component: String) {
        let letter = Record(
            key: record.key, value: Array(record.object.jsonText().utf8), timestamp: record.timestamp,
            headers: record.headers + Self.headers(reason, component))
        pending.withLock { $0.append(letter) }
        count(component, reason)
    }

    private static func headers(_ reason: String, _ component: String) -> [RecordHeader] {
        [RecordHeader(key: "weir.component", value: Array(component.utf8)), RecordHeader(key: "weir.reason", value: Array(reason.utf8))]
    }

    /// Appends what is queued, waits for it, then logs the warnings that are due.
    func flush() throws {
        try append()
        warnings.logDue()
    }

    private func append() throws {
        try appending.withLock { producer in
            let records = pending.withLock { records in
                defer { records.removeAll() }
                return records
            }
            guard !records.isEmpty else { return }
            if producer == nil {
                producer = try log.appender(to: topicName, creating: TopicConfig(partitions: 1, compression: .gzip), chunks: false)
            }
            for record in records { try producer!.send(record) }
            try producer!.flush()
        }
    }
}
