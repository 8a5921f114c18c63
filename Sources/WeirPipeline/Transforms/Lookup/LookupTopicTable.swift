import Logging
import Metrics
import Synchronization
import WeirLog
import WeirValues

/// A table topic read as a table: the latest row per key of the topic's records (JSON
/// objects, keyed by their member `key`), every partition from its start, kept current
/// as the pipeline runs, as a Kafka Streams `GlobalKTable` is.
///
/// It is caught up at each batch, under its lock, before that batch's keys are looked up:
/// one end-offset compare per partition when nothing is new, so the table is as current
/// as what was appended before the batch was processed. No thread of its own: a table
/// followed between batches needs nothing stopped at the end and takes the lock only when
/// a batch comes. The first batch waits for the whole topic (it sees the full table);
/// later ones read at most `recordsPerCatchUp` new records each, so a burst of updates
/// delays a batch a bounded time and the rest is read by the batches after it.
///
/// Members at `parallelism` > 1 take turns at the lock for the look-ups (a hash probe per
/// record), and add the rows to their records outside it.
final class LookupTopicTable: Sendable {
    let topic: String
    /// The member of a topic record holding its key.
    let key: String
    /// The members a match adds; nil for all but the key.
    let columns: [String]?
    let maxKeys: Int
    private let log: (any PipelineLog)?
    private let state = Mutex(State())
    private let logger: Logger
    private let skippedCounter: Counter
    private let keysGauge: Gauge

    static let recordsPerCatchUp = 50_000

    struct State {
        var rows = LookupTopicRows()
        /// One per partition, at the next offset to read; nil before the first batch.
        var readers: [PartitionReader]?
        /// Why the table cannot be kept (more keys than `max_keys`, a topic that cannot
        /// be read): every batch from then on fails with it.
        var failure: String?
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(topic: String, key: String, columns: [String]?, maxKeys: Int, log: (any PipelineLog)?, pipeline: String, component: String) {
        self.topic = topic
        self.key = key
        self.columns = columns
        self.maxKeys = maxKeys
        self.log = log
        var logger = Logger(label: "weir.lookup")
        logger[metadataKey: "component"] = "\(component)"
        self.logger = logger
        let dimensions = [("pipeline", pipeline), ("component", component)]
        skippedCounter = Counter(label: "weir_lookup_skipped_table_records_total", dimensions: dimensions)
        keysGauge = Gauge(label: "weir_lookup_table_rows", dimensions: dimensions)
    }

    /// The row of each record's `field` (nil: the table has no such key), from the table
    /// caught up with the topic first.
    func rows(for records: [PipelineRecord], field: String) throws(Failure) -> [Fields?] {
        try state.withLock { (state) throws(Failure) -> [Fields?] in
            if let failure = catchUp(&state) { throw Failure(description: failure) }
            var found: [Fields?] = []
            found.reserveCapacity(records.count)
            for record in records {
                found.append(LookupTransform.row(record.fields, field, state.rows.index).flatMap { state.rows.row(at: $0) })
            }
            return found
        }
    }

    /// Reads what is new in the topic into the table; why it cannot, if it cannot.
    private func catchUp(_ state: inout State) -> String? {
        if let failure = state.failure { return failure }
        let failure = read(&state)
        state.failure = failure
        return failure
    }

    private func read(_ state: inout State) -> String? {
        let first = state.readers == nil
        var skipped = 0
        var firstSkip: String?
        var full = false
        do {
            if first {
                guard let log else {
                    return "the table topic '\(topic)' is read from the pipeline's log, and this run has none (weir test)"
                }
                guard let embedded = log as? EmbeddedLog else {
                    return "a table topic is read from the embedded log only: a run on a cluster (--bootstrap) cannot follow '\(topic)'"
                }
                state.readers = try embedded.topic(topic).partitions.map { PartitionReader(partition: $0, from: try $0.startOffset) }
            }
            var budget = first ? Int.max : Self.recordsPerCatchUp
            for i in state.readers!.indices where budget > 0 && !full {
                var reader = state.readers![i]
                let end = try reader.partition.endOffset
                guard reader.position < end else { continue }
                // Retention removed records not read yet: what is left is newer.
                let start = try reader.partition.startOffset
                if reader.position < start { reader = PartitionReader(partition: reader.partition, from: start) }
                let partition = reader.partition.id
                let visited = try reader.read(upTo: end, limit: budget) { view in
                    switch apply(view, to: &state.rows) {
                    case nil: return true
                    case .skipped(let reason)?:
                        skipped += 1
                        if firstSkip == nil { firstSkip = "offset \(view.offset) of partition \(partition): \(reason)" }
                        return true
                    case .full?:
                        full = true
                        return false
                    }
                }
                budget -= visited
                state.readers![i] = reader
            }
        } catch {
            return "the table topic '\(topic)' cannot be read: \(error)"
        }
        if skipped > 0 {
            skippedCounter.increment(by: Int64(skipped))
            logger.warning("table topic '\(topic)': \(skipped) record\(skipped == 1 ? "" : "s") skipped, the first at \(firstSkip ?? "?")")
        }
        keysGauge.record(state.rows.live)
        if full {
            return
                "the table topic '\(topic)' has more keys than max_keys (\(maxKeys)); the table is not kept past it (raise max_keys, or key the table more coarsely)"
        }
        return nil
    }

    enum Outcome {
        case skipped(String)
        case full
    }

    /// One record of the topic into the table: a JSON object sets the row of its key, an
    /// empty or `null` value with a record key deletes the row of that key (Kafka's
    /// tombstone). Nil when it was applied.
    private func apply(_ view: RecordView, to rows: inout LookupTopicRows) -> Outcome? {
        var parsed: Value = .null
        if let value = view.value, !value.isEmpty {
            do { parsed = try JSONValueParser.parse(value) } catch { return .skipped("the value is not JSON: \(error)") }
        }
        let members: Fields
        switch parsed {
        case .object(let object): members = object
        case .null:
            guard let recordKey = view.key, !recordKey.isEmpty else {
                return .skipped("a tombstone (an empty or null value) without a record key")
            }
            recordKey.withMemoryRebound(to: UInt8.self) { rows.remove($0) }
            return nil
        default: return .skipped("the value is a \(parsed.typeName), not a JSON object")
        }
        guard let keyValue = members[key] else { return .skipped("it has no member '\(key)' (key)") }
        guard var keyText = LookupTransform.keyText(keyValue) else {
            return .skipped("its '\(key)' is a \(keyValue.typeName), not a string, number or bool")
        }
        var row = Fields(minimumCapacity: columns?.count ?? members.count)
        for (name, member) in members where columns.map({ $0.contains(name) }) ?? (name != key) { row[name] = member }
        return keyText.withUTF8 { key in
            if rows.live >= maxKeys && rows.isNew(key) { return .full }
            rows.set(key, row)
            return nil
        }
    }
}
