import Foundation
import WeirLog
import WeirValues

/// `aggregate`: records grouped by `group_by` into windows of event time, one record out
/// per group and window when the window closes.
///
/// Event time is `timestamp_field` (epoch milliseconds, or RFC 3339 text), else the
/// record's timestamp. The watermark of a partition is the latest event time seen in it
/// less `allowed_lateness`: a window closes once the watermark reaches its end, and a
/// record whose every window has closed is late — it goes to the dead-letter topic with
/// how late it was, never silently. Everything is decided by the partition's records in
/// order (not by the clock, not by how they were batched), so a run killed anywhere and
/// restarted from its checkpoint emits exactly what an uninterrupted run does.
///
/// State is per input partition (`StatefulTransform`), committed with the partition's
/// offset. Windows are dropped when they close, so the state holds the open windows only.
final class AggregateTransform: StatefulTransform {
    let groupBy: [String]
    let timestampField: String?
    let window: AggregateWindow
    let lateness: Int64
    let aggregations: [Aggregation]
    /// `emit: every`: updates of the open windows each time event time enters a new
    /// period this long (nil: a window is written once, when it closes).
    let emitEvery: Int64?
    private let states = PartitionStates<AggregateState>()
    /// Whether a value can be refused (not only count, first, last, count_distinct).
    private let mayRefuse: Bool
    /// A new window's accumulators.
    private let fresh: [Accumulator]

    init(
        groupBy: [String], timestampField: String?, window: AggregateWindow, lateness: Int64, aggregations: [Aggregation],
        emitEvery: Int64? = nil
    ) {
        self.groupBy = groupBy
        self.emitEvery = emitEvery
        self.timestampField = timestampField
        self.window = window
        self.lateness = lateness
        self.aggregations = aggregations
        mayRefuse = aggregations.contains { ![.count, .first, .last, .countDistinct].contains($0.kind) }
        fresh = Array(repeating: Accumulator(), count: aggregations.count)
    }

    func process(_ batch: consuming [PipelineRecord], from partition: TopicPartition) -> TransformResult {
        var result = TransformResult()
        let records = batch
        states.update(partition, empty: AggregateState.init) { state in
            for record in records { add(record, to: &state, &result) }
        }
        return result
    }

    private func add(_ record: PipelineRecord, to state: inout AggregateState, _ result: inout TransformResult) {
        let time: Int64
        switch eventTime(of: record) {
        case .success(let t): time = t
        case .failure(let reason):
            result.fail(record, reason.message)
            return
        }
        let group = groupBy.map { record[field: $0] ?? .null }
        if case .session(let gap) = window {
            addToSession(record, at: time, group: group, gap: gap, to: &state, &result)
            advance(to: time, in: &state, &result)
            return
        }
        let watermark = (state.maxEventTime ?? .min) &- lateness
        // The windows of `time` the watermark has not closed (all of them at the first
        // record), earliest first: the open ones are the last of them.
        let starts = window.starts(containing: time)
        let firstOpen = state.maxEventTime == nil ? Int64.min : watermark - window.size + 1
        guard window.lastEnd(containing: time) - window.size >= firstOpen else {
            let end = window.lastEnd(containing: time)
            result.fail(
                record,
                "aggregate: late by \(watermark - end + 1) ms: its last window ended at \(Self.text(end)), the watermark is at \(Self.text(watermark)) (allowed_lateness \(lateness) ms)"
            )
            return
        }
        // Checked against the first open window before any window takes the record: a
        // value an aggregation refuses fails the record whole. (Refusals depend on the
        // value, and for min/max on the kind kept, the same in every window of one group.)
        if mayRefuse, let first = starts.first(where: { $0 >= firstOpen }) {
            let current = state.windows[AggregateState.WindowKey(start: first, group: group)]
            for i in aggregations.indices {
                let aggregation = aggregations[i]
                let value = aggregation.field.flatMap { record[field: $0] }
                if let reason = (current?[i] ?? Accumulator()).refusal(of: value, as: aggregation.kind) {
                    result.fail(record, "aggregate: \(aggregation.name): field '\(aggregation.field ?? "")': \(reason)")
                    return
                }
            }
        }
        for start in starts where start >= firstOpen {
            // In place: one hash of the key, no copy of the window's accumulators.
            take(record, into: &state.windows[AggregateState.WindowKey(start: start, group: group), default: fresh])
            // The earliest end of an open window: an existing window's end is not earlier.
            state.nextClose = min(state.nextClose, start + window.size)
        }
        advance(to: time, in: &state, &result)
    }

    /// Moves the latest event time on to `time` (if later): closes the windows the new
    /// watermark passes, then, with `emit: every`, writes an update of every window still
    /// open each time event time enters a new period of `every`.
    private func advance(to time: Int64, in state: inout AggregateState, _ result: inout TransformResult) {
        guard time > state.maxEventTime ?? .min else { return }
        let previous = state.maxEventTime
        state.maxEventTime = time
        close(upTo: time &- lateness, in: &state, &result)
        if let every = emitEvery, let previous, AggregateWindow.floor(time, every) > AggregateWindow.floor(previous, every) {
            emit(state.windows.map { ($0.key, bounds(of: $0.key, in: state).end, $0.value) }, final: false, into: &result)
        }
    }

    private func take(_ record: PipelineRecord, into accumulators: inout [Accumulator]) {
        for i in aggregations.indices {
            let aggregation = aggregations[i]
            accumulators[i].take(aggregation.field.flatMap { record[field: $0] }, as: aggregation.kind)
        }
    }

    /// Emits and forgets every window that ends at or before `watermark`, by end, then by
    /// group, so the order is the same in every run.
    private func close(upTo watermark: Int64, in state: inout AggregateState, _ result: inout TransformResult) {
        guard state.nextClose <= watermark else { return }
        var closing: [ClosedWindow] = []
        var nextClose = Int64.max
        for (key, accumulators) in state.windows {
            let (end, closesAt) = bounds(of: key, in: state)
            if closesAt <= watermark { closing.append((key, end, accumulators)) } else { nextClose = min(nextClose, closesAt) }
        }
        for (key, _, _) in closing {
            state.windows.removeValue(forKey: key)
            if case .session = window { forgetSession(key, in: &state) }
        }
        state.nextClose = nextClose
        emit(closing, final: true, into: &result)
    }

    typealias ClosedWindow = (key: AggregateState.WindowKey, end: Int64, accumulators: [Accumulator])

    /// A window's `window_end`, and the watermark that closes it.
    private func bounds(of key: AggregateState.WindowKey, in state: AggregateState) -> (end: Int64, closesAt: Int64) {
        if case .session(let gap) = window {
            let end = state.sessionEnds[key] ?? key.start
            return (end, end + gap + 1)
        }
        return (key.start + window.size, key.start + window.size)
    }

    /// `final`: the windows closed (an update of an open window otherwise); written as the
    /// `final` field with `emit: every` only.
    private func emit(_ windows: [ClosedWindow], final: Bool, into result: inout TransformResult) {
        // By start, then by the group's JSON: the same order in every run (a dictionary's
        // is not). Indices are sorted, not the windows, and a group of one string is its
        // own key.
        let keys = windows.map { window in
            if window.0.group.count == 1, case .string(let text) = window.0.group[0] { return "\"" + text }
            return Value.array(window.0.group).jsonText()
        }
        let order = windows.indices.sorted {
            windows[$0].0.start != windows[$1].0.start ? windows[$0].0.start < windows[$1].0.start : keys[$0] < keys[$1]
        }
        for index in order {
            let (key, end, accumulators) = windows[index]
            var fields = Fields(minimumCapacity: groupBy.count + 2 + aggregations.count)
            for (name, value) in zip(groupBy, key.group) where value != .null { fields[name] = value }
            fields["window_start"] = .string(Self.text(key.start))
            fields["window_end"] = .string(Self.text(end))
            if emitEvery != nil { fields["final"] = .bool(final) }
            for (i, aggregation) in aggregations.enumerated() {
                if let value = accumulators[i].result(aggregation.kind, quantile: aggregation.quantile) { fields[aggregation.name] = value }
            }
            result.emit(PipelineRecord(timestamp: key.start, fields: fields))
        }
    }

    struct TimeFailure: Error {
        var message: String
    }

    private func eventTime(of record: PipelineRecord) -> Result<Int64, TimeFailure> {
        guard let timestampField else { return .success(record.timestamp) }
        let value = record[field: timestampField]
        if let ms = EventTime.milliseconds(value) { return .success(ms) }
        switch value {
        case .string(let text)?:
            return .failure(
                TimeFailure(
                    message: "aggregate: timestamp_field '\(timestampField)' is not RFC 3339 or epoch milliseconds: '\(text.prefix(64))'"))
        case nil, .null?: return .failure(TimeFailure(message: "aggregate: the record has no timestamp_field '\(timestampField)'"))
        case let other?:
            return .failure(TimeFailure(message: "aggregate: timestamp_field '\(timestampField)' is \(other.typeName), not a time"))
        }
    }

    static func text(_ millis: Int64) -> String {
        String(decoding: CivilTime.rfc3339(millis), as: UTF8.self)
    }

    func snapshot(_ partition: TopicPartition) -> [UInt8]? {
        guard let state = states[partition], !state.isEmpty else { return nil }
        return state.encoded(sessions: sessionGap != nil)
    }

    func restore(_ partition: TopicPartition, from snapshot: [UInt8]?) throws {
        let state = try snapshot.map {
            try AggregateState(decoding: $0, size: window.size, sessionGap: sessionGap, aggregations: aggregations.count)
        }
        states[partition] = state
    }

    private var sessionGap: Int64? {
        if case .session(let gap) = window { gap } else { nil }
    }

    func flush() -> TransformResult {
        var result = TransformResult()
        for state in states.removeAll() {
            emit(state.windows.map { ($0.key, bounds(of: $0.key, in: state).end, $0.value) }, final: true, into: &result)
        }
        return result
    }
}
