import Dispatch
import Logging
import Synchronization

/// The warnings about dead letters, rate-limited per component and reason: the first
/// records are logged at once (at the flush of their batch), then at most one line
/// every `interval` seconds says how many more went since the last line, and
/// `logRemaining` logs what is left when the run ends. A steady trickle of failures
/// costs one line per 10 s, not one per batch.
final class DeadLetterWarnings: Sendable {
    struct Key: Hashable, Sendable {
        var component: String
        var reason: String
    }

    private struct Entry {
        /// Records counted since the last line.
        var pending = 0
        /// When the last line was logged (seconds of `now`); nil before the first.
        var lastLine: Double?
    }

    /// Distinct reasons tracked per component; records with further reasons share one
    /// line (a plugin's or a server's reasons may name each record).
    static let reasonsPerComponent = 20
    static let otherReasons = "(other reasons)"

    private let logger: Logger
    private let interval: Double
    private let now: @Sendable () -> Double
    private let entries = Mutex<[Key: Entry]>([:])

    /// - Parameters:
    ///   - interval: seconds between two lines for the same component and reason.
    ///   - now: a monotonic clock in seconds (tests pass their own).
    init(logger: Logger, interval: Double = 10, now: @escaping @Sendable () -> Double = DeadLetterWarnings.uptimeSeconds) {
        self.logger = logger
        self.interval = interval
        self.now = now
    }

    static func uptimeSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Counts `records` dead letters of `component` for `reason`; logged by the next
    /// `logDue` or `logRemaining`.
    func count(component: String, reason: String, records: Int = 1) {
        entries.withLock { entries in
            var key = Key(component: component, reason: reason)
            if entries[key] == nil, entries.keys.count(where: { $0.component == component }) >= Self.reasonsPerComponent {
                key.reason = Self.otherReasons
            }
            entries[key, default: Entry()].pending += records
        }
    }

    /// Logs what is due: counts of a component and reason with no line in the last
    /// `interval` seconds (the first ones among them).
    func logDue() { log(all: false) }

    /// Logs every count not logged yet, due or not: the end of the run.
    func logRemaining() { log(all: true) }

    private func log(all: Bool) {
        let time = now()
        let lines = entries.withLock { entries -> [(key: Key, records: Int, since: Double?)] in
            var lines: [(key: Key, records: Int, since: Double?)] = []
            for (key, entry) in entries where entry.pending > 0 {
                guard all || entry.lastLine.map({ time - $0 >= interval }) ?? true else { continue }
                lines.append((key, entry.pending, entry.lastLine))
                entries[key] = Entry(pending: 0, lastLine: time)
            }
            // A reason quiet for an interval is forgotten: its next record is logged at once.
            entries = entries.filter { $0.value.pending > 0 || time - ($0.value.lastLine ?? time) < interval }
            return lines
        }
        for line in lines.sorted(by: { ($0.key.component, $0.key.reason) < ($1.key.component, $1.key.reason) }) {
            let records = line.records == 1 ? "1 record" : "\(line.records) records"
            let message: Logger.Message =
                line.since.map { since in
                    let seconds = Int((time - since).rounded())
                    let span = seconds >= 1 ? "in the last \(seconds) s" : "since the last warning"
                    return "\(records) more sent to the dead-letter topic \(span)"
                } ?? "\(records) sent to the dead-letter topic"
            logger.warning(message, metadata: ["component": "\(line.key.component)", "reason": "\(line.key.reason)"])
        }
    }
}
