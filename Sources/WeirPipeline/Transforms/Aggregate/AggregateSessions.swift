import WeirValues

/// Session windows of `aggregate`: a group's records with no more than `gap` of event time
/// between one and the next make one session, which grows while they keep coming. As in
/// Kafka Streams, `window_start` and `window_end` are the first and the last event time in
/// the session (both in it).
///
/// A record within `gap` of an open session of its group joins it; one within `gap` of
/// two (it came late and bridges them) merges them. A session closes when the watermark
/// (the latest event time less `allowed_lateness`) passes its last event time by more
/// than `gap`: no record that is not late can join it any more. A record behind the
/// watermark is late, whatever sessions are open — so no record ever joins a session
/// already written.
extension AggregateTransform {
    func addToSession(
        _ record: PipelineRecord, at time: Int64, group: [Value], gap: Int64, to state: inout AggregateState,
        _ result: inout TransformResult
    ) {
        if let latest = state.maxEventTime, time < latest &- lateness {
            let watermark = latest &- lateness
            result.fail(
                record,
                "aggregate: late by \(watermark - time) ms: the watermark is at \(Self.text(watermark)) (allowed_lateness \(lateness) ms, session gap \(gap) ms)"
            )
            return
        }
        let starts = state.sessionStarts[group] ?? []
        // The group's open sessions this record is within `gap` of: at most two, as open
        // sessions of one group are more than `gap` apart.
        let touched = starts.filter { start in
            let key = AggregateState.WindowKey(start: start, group: group)
            return start - gap <= time && time <= (state.sessionEnds[key] ?? start) + gap
        }
        var start = time
        var end = time
        var accumulators: [Accumulator]? = nil
        for touchedStart in touched {
            let key = AggregateState.WindowKey(start: touchedStart, group: group)
            guard let existing = state.windows[key] else { continue }
            start = min(start, touchedStart)
            end = max(end, state.sessionEnds[key] ?? touchedStart)
            if var merged = accumulators {
                for i in aggregations.indices { merged[i].merge(existing[i], as: aggregations[i].kind) }
                accumulators = merged
            } else {
                accumulators = existing
            }
        }
        var updated = accumulators ?? Array(repeating: Accumulator(), count: aggregations.count)
        for i in aggregations.indices {
            let aggregation = aggregations[i]
            if let reason = updated[i].add(aggregation.field.flatMap { record[field: $0] }, as: aggregation.kind) {
                // Nothing of the state changed yet: the record fails whole.
                result.fail(record, "aggregate: \(aggregation.name): field '\(aggregation.field ?? "")': \(reason)")
                return
            }
        }
        for touchedStart in touched {
            let key = AggregateState.WindowKey(start: touchedStart, group: group)
            state.windows.removeValue(forKey: key)
            state.sessionEnds.removeValue(forKey: key)
        }
        let key = AggregateState.WindowKey(start: start, group: group)
        state.windows[key] = updated
        state.sessionEnds[key] = end
        var groupStarts = starts.filter { !touched.contains($0) }
        groupStarts.insert(start, at: groupStarts.firstIndex { $0 > start } ?? groupStarts.endIndex)
        state.sessionStarts[group] = groupStarts
        state.nextClose = min(state.nextClose, end + gap + 1)
    }

    /// Forgets a closed session's place among its group's.
    func forgetSession(_ key: AggregateState.WindowKey, in state: inout AggregateState) {
        state.sessionEnds.removeValue(forKey: key)
        guard var starts = state.sessionStarts[key.group] else { return }
        starts.removeAll { $0 == key.start }
        state.sessionStarts[key.group] = starts.isEmpty ? nil : starts
    }
}

extension Accumulator {
    /// Takes in `later`, the accumulator of a session that starts after this one's (two
    /// sessions a late record bridged). `first` keeps the earlier session's, `last` the
    /// later's; `min`/`max` of values that cannot be compared keep this one's.
    mutating func merge(_ later: Accumulator, as kind: Aggregation.Kind) {
        count += later.count
        switch kind {
        case .count: break
        case .sum, .avg:
            let (sum, overflow) = intSum.addingReportingOverflow(later.intSum)
            if overflow { allIntegers = false } else { intSum = sum }
            allIntegers = allIntegers && later.allIntegers
            doubleSum += later.doubleSum
        case .min, .max:
            guard let other = later.value else { break }
            guard let current = value else {
                value = other
                break
            }
            if kind == .min ? Self.ordered(other, current) == true : Self.ordered(current, other) == true { value = other }
        case .first: if value == nil { value = later.value }
        case .last: if later.value != nil { value = later.value }
        case .countDistinct:
            if let other = later.distinct {
                var merged = distinct ?? HyperLogLog()
                merged.merge(other)
                distinct = merged
            }
        case .percentile:
            if let other = later.sketch {
                var merged = sketch ?? DDSketch()
                merged.merge(other)
                sketch = merged
            }
        }
    }
}
