import WeirLog
import WeirValues

/// `reduce`: merges consecutive records of the same `group_by` key into one record, until
/// a record matches `ends_when` (it is merged, then the group closes), a record matches
/// `starts_when` (the open group closes first, the record starts the next), the group has
/// `max_records`, or the partition's event time moved more than `timeout` past the group's
/// last record. A multi-line stack trace becomes one record; so do a request's start and
/// end lines.
///
/// Everything that closes a group depends on the partition's records in order, never on
/// the clock nor on how they were batched: the open groups are state committed with the
/// sink's offsets (`StatefulTransform`), so a run killed anywhere writes what one that was
/// not writes. The price: a group closed by `timeout` comes out only when a later record
/// moves event time on (or at the end of a `weir test` case, through `flush`).
final class ReduceTransform: StatefulTransform {
    struct Options: Sendable {
        var groupBy: [String] = []
        var startsWhen: Expression?
        var endsWhen: Expression?
        var maxRecords: Int?
        var timeout: Int64?
        var timestampField: String?
        var strategies = ReduceStrategies([:])
        var maxGroups = 10_000
    }

    let options: Options
    private let states = PartitionStates<ReduceState>()

    init(_ options: Options) {
        self.options = options
    }

    func process(_ batch: consuming [PipelineRecord], from partition: TopicPartition) -> TransformResult {
        var result = TransformResult()
        let records = batch
        states.update(partition, empty: ReduceState.init) { state in
            for record in records { add(record, to: &state, &result) }
        }
        return result
    }

    private func add(_ record: PipelineRecord, to state: inout ReduceState, _ result: inout TransformResult) {
        // What can fail comes first: a failed record changes nothing.
        var time: Int64?
        if options.timeout != nil {
            guard let t = EventTime.of(record, field: options.timestampField) else {
                result.fail(record, "reduce: timestamp_field '\(options.timestampField ?? "")' is not RFC 3339 or epoch milliseconds")
                return
            }
            time = t
        }
        let starts: Bool
        let ends: Bool
        do throws(ExpressionError) {
            starts = try options.startsWhen?.matches(record.fields) ?? false
            ends = try options.endsWhen?.matches(record.fields) ?? false
        } catch {
            result.fail(record, "reduce: condition: \(error.message)")
            return
        }
        let key = options.groupBy.map { record[field: $0] ?? .null }
        if let problem = ReduceGroup.problem(record, joining: starts ? nil : state.groups[key], options.strategies) {
            result.fail(record, problem)
            return
        }
        if let time, let timeout = options.timeout {
            state.eventTime = max(state.eventTime, time)
            let (limit, overflow) = state.eventTime.subtractingReportingOverflow(timeout)
            closeExpired(before: overflow ? .min : limit, in: &state, &result)
        }
        if starts, let open = state.groups.removeValue(forKey: key) { result.emit(open.output()) }
        let sequence = state.nextSequence
        state.nextSequence += 1
        var group: ReduceGroup
        if let open = state.groups.removeValue(forKey: key) {
            group = open
        } else {
            if state.groups.count >= options.maxGroups, let oldest = state.leastRecent()?.key {
                // Full: the group that waited longest for a record goes, complete or not.
                state.groups.removeValue(forKey: oldest).map { result.emit($0.output()) }
            }
            group = ReduceGroup(first: record, sequence: sequence, seen: state.eventTime)
        }
        group.merge(record, sequence: sequence, seen: state.eventTime, options.strategies)
        if ends || group.count >= options.maxRecords ?? .max {
            result.emit(group.output())
        } else {
            state.groups[key] = group
            state.touched(key, sequence: sequence)
        }
    }

    /// Closes the groups whose last record came when event time was before `limit`, by
    /// their first record.
    private func closeExpired(before limit: Int64, in state: inout ReduceState, _ result: inout TransformResult) {
        var closed: [ReduceGroup] = []
        while let oldest = state.leastRecent(), oldest.group.lastSeen < limit {
            state.groups.removeValue(forKey: oldest.key)
            closed.append(oldest.group)
        }
        for group in closed.sorted(by: { $0.firstSequence < $1.firstSequence }) { result.emit(group.output()) }
    }

    func snapshot(_ partition: TopicPartition) -> [UInt8]? {
        guard let state = states[partition], !state.groups.isEmpty || state.eventTime != .min else { return nil }
        return state.encoded()
    }

    func restore(_ partition: TopicPartition, from snapshot: [UInt8]?) throws {
        let state = try snapshot.map { try ReduceState(decoding: $0) }
        states[partition] = state
    }

    /// Every open group, partition by partition, each partition's by first record.
    func flush() -> TransformResult {
        var result = TransformResult()
        for var state in states.removeAll() {
            for group in state.removeAll() { result.emit(group.output()) }
        }
        return result
    }
}
