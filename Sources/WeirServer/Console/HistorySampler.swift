import Foundation
import WeirPipeline

/// Takes one sample a second of every running component into a `RunHistory`, on a task
/// that sleeps between samples (it never blocks a thread of the cooperative pool), for
/// as long as the server runs.
///
/// A sample reads each component's counters (one lock each) and the sinks' lag from the
/// monitor's last snapshot; rates are the counters' differences over the time since the
/// sample before, measured here, so they do not depend on when the monitor's own thread
/// sampled. The event for `/api/events` is encoded only while a stream is open.
struct HistorySampler: Sendable {
    let monitor: RunMonitor
    let history: RunHistory

    /// Samples until the task is cancelled, then closes the history (open streams end).
    func run() async {
        defer { history.close() }
        let clock = ContinuousClock()
        var next = clock.now
        var previous: (at: ContinuousClock.Instant, counts: [ComponentStats.Counts])?
        while !Task.isCancelled {
            next = next.advanced(by: .seconds(1))
            // Catch up after a long pause without a burst of samples.
            if next < clock.now { next = clock.now.advanced(by: .seconds(1)) }
            do { try await Task.sleep(until: next, clock: clock) } catch { return }
            let stats = monitor.runners.flatMap(\.stats)
            guard !stats.isEmpty else { continue }
            let now = clock.now
            let counts = stats.map(\.counts)
            let sinkLag = monitor.snapshot.sinkLag
            let before = previous.flatMap { $0.counts.count == counts.count ? $0 : nil }
            let seconds = before.map { max(0.001, Self.seconds(now - $0.at)) } ?? 1
            let readings = counts.indices.map { index in
                let current = counts[index]
                let old = before?.counts[index] ?? current
                return RunHistory.Reading(
                    received: Float(Double(current.received - old.received) / seconds),
                    sent: Float(Double(current.sent - old.sent) / seconds),
                    bytes: Float(Double(current.bytes - old.bytes) / seconds),
                    errors: UInt32(clamping: current.errors - old.errors),
                    deadLettered: UInt32(clamping: current.deadLettered - old.deadLettered),
                    lag: stats[index].kind == .sink ? sinkLag[ObjectIdentifier(stats[index])] ?? 0 : 0)
            }
            previous = (now, counts)
            let components = stats.map { RunHistory.Component(pipeline: $0.pipeline, id: $0.id, kind: $0.kind.rawValue, type: $0.type) }
            let time = Date().timeIntervalSince1970
            let sequence = history.record(time: time, components: components, readings: readings)
            if history.hasStreams {
                let event = Self.event(sequence: sequence, time: time, stats: stats, components: components, readings: readings)
                history.publish(sequence: event.sequence, event: event.serverSentEvent)
            }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func event(
        sequence: UInt64, time: Double, stats: [ComponentStats], components: [RunHistory.Component], readings: [RunHistory.Reading]
    ) -> SampleEvent {
        SampleEvent(
            sequence: sequence, time: time,
            components: stats.indices.map { index in
                let (component, reading, state) = (components[index], readings[index], stats[index].state)
                return SampleEvent.Component(
                    node: HistoryReport.node(component), pipeline: component.pipeline, id: component.id, kind: component.kind,
                    type: component.type, state: state.name, detail: state.detail,
                    receivedRecordsPerSecond: HistoryReport.tenths(reading.received),
                    sentRecordsPerSecond: HistoryReport.tenths(reading.sent),
                    receivedBytesPerSecond: Double(reading.bytes).rounded(), errors: reading.errors, deadLettered: reading.deadLettered,
                    lag: component.kind == "sink" ? reading.lag : nil)
            })
    }
}
