import Logging
import Metrics
import Synchronization

/// A lookup table file kept current: loaded at the first batch, looked at (one `stat`)
/// at most once per `interval` after that, and reloaded when its stamp changes.
///
/// The table is immutable; a reload builds a new one beside it and swaps the reference
/// under the lock, so members at `parallelism` > 1 take the lock once per batch (to read
/// the reference) and never per record. One member at a time looks at the file; the
/// others go on with the table they have meanwhile.
///
/// A reload that fails (a bad line, a file half-written, a file gone) keeps the previous
/// table: records go on being enriched with it rather than dropped or dead-lettered for a
/// mistake in the file. The failure is logged as a warning once per version of the file
/// and counted (`weir_lookup_reload_failures_total`).
final class LookupTableFile: Sendable {
    let spec: LookupTableSpec
    let interval: Duration
    private let state: Mutex<State>
    private let logger: Logger
    private let failuresCounter: Counter
    private let rowsGauge: Gauge

    struct State {
        var table: LookupTable?
        var nextLook: ContinuousClock.Instant
        /// Whether a member is looking at the file now.
        var looking = false
        /// The version of the file last warned about (nil: the file was gone).
        var warned: LookupFileStamp?? = .none
        var reloads = 0
        var failures = 0
    }

    init(spec: LookupTableSpec, interval: Duration, pipeline: String, component: String) {
        self.spec = spec
        self.interval = interval
        state = Mutex(State(nextLook: .now))
        var logger = Logger(label: "weir.lookup")
        logger[metadataKey: "component"] = "\(component)"
        self.logger = logger
        let dimensions = [("pipeline", pipeline), ("component", component)]
        failuresCounter = Counter(label: "weir_lookup_reload_failures_total", dimensions: dimensions)
        rowsGauge = Gauge(label: "weir_lookup_table_rows", dimensions: dimensions)
    }

    /// How many reloads succeeded and failed so far (for tests and the log).
    var counts: (reloads: Int, failures: Int) { state.withLock { ($0.reloads, $0.failures) } }

    /// The table to use for a batch: loaded now if it never was (an error then stops the
    /// run: there is nothing to enrich with), reloaded if the file changed.
    func current() -> Result<LookupTable, LookupLoadError> {
        let now = ContinuousClock.now
        let step = state.withLock { state -> Result<(LookupTable, look: Bool), LookupLoadError> in
            guard let table = state.table else {
                // The first load is made under the lock: every member waits for it.
                do throws(LookupLoadError) {
                    let table = try loadSettled()
                    state.table = table
                    state.nextLook = now + interval
                    rowsGauge.record(table.count)
                    return .success((table, false))
                } catch {
                    return .failure(error)
                }
            }
            guard !state.looking && now >= state.nextLook else { return .success((table, false)) }
            state.looking = true
            state.nextLook = now + interval
            return .success((table, true))
        }
        switch step {
        case .failure(let error): return .failure(error)
        case .success((let table, false)): return .success(table)
        case .success((let table, true)): return .success(look(table))
        }
    }

    /// Reloads the table if the file changed since `table` was read; the table to use.
    private func look(_ table: LookupTable) -> LookupTable {
        let stamp = LookupFileStamp.of(path: spec.path)
        let warned = state.withLock { $0.warned }
        var outcome: Result<LookupTable?, LookupLoadError> = .success(nil)
        if stamp != table.stamp && warned != .some(stamp) {
            if stamp == nil {
                outcome = .failure(LookupLoadError(path: spec.path, line: nil, message: "is gone"))
            } else {
                do throws(LookupLoadError) { outcome = .success(try spec.load()) } catch { outcome = .failure(error) }
            }
        }
        return state.withLock { state in
            state.looking = false
            switch outcome {
            case .success(nil):
                // Unchanged, or changed while it was read (a writer still at it): looked at again next time.
                return state.table ?? table
            case .success(let fresh?):
                state.table = fresh
                state.warned = .none
                state.reloads += 1
                rowsGauge.record(fresh.count)
                logger.info("lookup table \(spec.path) reloaded: \(fresh.count) rows")
                return fresh
            case .failure(let error):
                state.warned = .some(stamp)
                state.failures += 1
                failuresCounter.increment()
                logger.warning("lookup table \(error); keeping the table loaded before (\(table.count) rows)")
                return state.table ?? table
            }
        }
    }

    /// The first load: a file that changes while it is read is read again, a few times.
    private func loadSettled() throws(LookupLoadError) -> LookupTable {
        for _ in 0..<5 {
            if let table = try spec.load() { return table }
        }
        throw LookupLoadError(path: spec.path, line: nil, message: "kept changing while it was read")
    }
}
