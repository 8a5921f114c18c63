import WeirLog
import WeirValues

/// `throttle`: at most `threshold` records per key in each `window` of event time; the
/// rest are dropped (the transform's sent count falls behind its received count) or, with
/// `on_excess: dead_letter`, go to the dead-letter topic with the reason.
///
/// Windows are tumbling and aligned to the epoch; event time is `timestamp_field` or the
/// record's timestamp, never the clock, so which records pass depends only on the input:
/// the counts are state committed with the sink's offsets (`StatefulTransform`), and a run
/// killed anywhere passes the same records as one that was not.
final class ThrottleTransform: StatefulTransform {
    let key: [String]
    let threshold: Int
    let window: Int64
    let timestampField: String?
    let deadLetter: Bool
    /// Keys kept per partition before the ones whose window has passed are forgotten.
    let maxKeys: Int
    private let states = PartitionStates<ThrottleState>()

    init(key: [String], threshold: Int, window: Int64, timestampField: String?, deadLetter: Bool, maxKeys: Int) {
        self.key = key
        self.threshold = threshold
        self.window = window
        self.timestampField = timestampField
        self.deadLetter = deadLetter
        self.maxKeys = maxKeys
    }

    func process(_ batch: consuming [PipelineRecord], from partition: TopicPartition) -> TransformResult {
        var result = TransformResult()
        let records = batch
        states.update(partition, empty: ThrottleState.init) { state in
            for record in records {
                guard let time = EventTime.of(record, field: timestampField) else {
                    result.fail(record, "throttle: timestamp_field '\(timestampField ?? "")' is not RFC 3339 or epoch milliseconds")
                    continue
                }
                let start = AggregateWindow.floor(time, window)
                let group = key.map { record[field: $0] ?? .null }
                var entry = state.counts[group] ?? ThrottleState.Entry(start: start, count: 0)
                if start > entry.start { entry = ThrottleState.Entry(start: start, count: 0) }
                state.latestStart = max(state.latestStart, start)
                // A record of a window before the key's current one counts in the current one.
                if entry.count < threshold {
                    entry.count += 1
                    state.counts[group] = entry
                    result.emit(record)
                } else {
                    state.counts[group] = entry
                    if deadLetter {
                        result.fail(
                            record,
                            "throttle: over \(threshold) records per \(window) ms for \(Value.array(group).jsonText()) in the window from \(AggregateTransform.text(entry.start))"
                        )
                    }
                }
                if state.counts.count > maxKeys {
                    // Keys whose window has passed start again from zero anyway: forgotten.
                    state.counts = state.counts.filter { $0.value.start >= state.latestStart }
                }
            }
        }
        return result
    }

    func snapshot(_ partition: TopicPartition) -> [UInt8]? {
        guard let state = states[partition], !state.counts.isEmpty else { return nil }
        return state.encoded()
    }

    func restore(_ partition: TopicPartition, from snapshot: [UInt8]?) throws {
        let state = try snapshot.map { try ThrottleState(decoding: $0) }
        states[partition] = state
    }

    func flush() -> TransformResult { TransformResult() }
}

/// Event time from a field: epoch milliseconds (integer or number) or RFC 3339 text.
enum EventTime {
    static func milliseconds(_ value: Value?) -> Int64? {
        switch value {
        case .int(let ms)?: ms
        case .double(let ms)? where ms.isFinite && abs(ms) < 9e15: Int64(ms)
        case .string(let text)?: RFC3339.milliseconds(text)
        default: nil
        }
    }
    /// The record's event time: its `field` (as `milliseconds` reads it) or, without one,
    /// its timestamp; nil when the field holds no time.
    static func of(_ record: PipelineRecord, field: String?) -> Int64? {
        guard let field else { return record.timestamp }
        return milliseconds(record[field: field])
    }
}
