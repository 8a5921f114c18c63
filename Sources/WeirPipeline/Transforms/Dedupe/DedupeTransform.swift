import WeirLog
import WeirValues

/// `dedupe`: drops a record whose key (some fields, or an expression) was seen before —
/// within `window` of event time, and among the `maxKeys` keys last seen — or, with
/// `on_duplicate: dead_letter`, sends it to the dead-letter topic with the reason.
///
/// Event time is `timestamp_field` or the record's timestamp, never the clock, and which
/// keys are forgotten depends only on the records seen, so which records pass depends
/// only on the input: the keys are state committed with the sink's offsets
/// (`StatefulTransform`), and a run killed anywhere passes the same records as one that
/// was not.
final class DedupeTransform: StatefulTransform {
    enum Key: Sendable {
        case fields([String])
        case expression(WeirValues.Expression)
    }

    let key: Key
    /// In milliseconds; nil: a key is a duplicate as long as it is kept.
    let window: Int64?
    let timestampField: String?
    let deadLetter: Bool
    /// Keys kept per partition: the least recently seen is forgotten beyond.
    let maxKeys: Int
    private let states = PartitionStates<DedupeState>()

    init(key: Key, window: Int64?, timestampField: String?, deadLetter: Bool, maxKeys: Int) {
        self.key = key
        self.window = window
        self.timestampField = timestampField
        self.deadLetter = deadLetter
        self.maxKeys = maxKeys
    }

    func process(_ batch: consuming [PipelineRecord], from partition: TopicPartition) -> TransformResult {
        var result = TransformResult()
        let records = batch
        states.update(partition, empty: DedupeState.init) { state in
            var encoder = DedupeKeyEncoder()
            for record in records {
                var time: Int64 = 0
                if window != nil {
                    guard let t = EventTime.of(record, field: timestampField) else {
                        result.fail(record, "dedupe: timestamp_field '\(timestampField ?? "")' is not RFC 3339 or epoch milliseconds")
                        continue
                    }
                    time = t
                }
                encoder.reset()
                switch key {
                case .fields(let names):
                    for name in names { encoder.append(field: name, of: record) }
                case .expression(let expression):
                    do throws(ExpressionError) {
                        encoder.append(try expression.evaluate(record.object))
                    } catch {
                        result.fail(record, "dedupe: key_expression: \(error.message)")
                        continue
                    }
                }
                let duplicateOf = state.see(DedupeKey(bytes: encoder.buffer), at: time, window: window, maxKeys: maxKeys)
                if let passedAt = duplicateOf {
                    if deadLetter { result.fail(record, reason(record, passedAt: passedAt)) }
                } else {
                    result.emit(record)
                }
            }
        }
        return result
    }

    /// Made only for a dead-lettered duplicate: the key's values again, as JSON.
    private func reason(_ record: PipelineRecord, passedAt: Int64) -> String {
        let shown: String
        switch key {
        case .fields(let names): shown = Value.array(names.map { record[field: $0] ?? .null }).jsonText()
        case .expression(let expression): shown = ((try? expression.evaluate(record.object)) ?? .null).jsonText()
        }
        guard let window else { return "dedupe: duplicate of \(shown), among the last \(maxKeys) keys" }
        return "dedupe: duplicate of \(shown), which passed at \(AggregateTransform.text(passedAt)), within \(window) ms"
    }

    func snapshot(_ partition: TopicPartition) -> [UInt8]? {
        guard let state = states[partition], !state.isEmpty else { return nil }
        return state.encoded()
    }

    func restore(_ partition: TopicPartition, from snapshot: [UInt8]?) throws {
        states[partition] = try snapshot.map { try DedupeState(decoding: $0) }
    }

    /// Nothing is held back: a duplicate is known at once.
    func flush() -> TransformResult { TransformResult() }
}
