import Dispatch

/// A repeating timer on its own serial queue, for the log's housekeeping
/// (interval fsyncs, retention). Dispatch sources are thread-safe.
final class BackgroundTimer: @unchecked Sendable {
    // unchecked: `DispatchSourceTimer` is not marked Sendable, though Dispatch documents its sources as thread-safe.
    private let source: any DispatchSourceTimer

    init(label: String, intervalMillis: Int, _ work: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        source.setEventHandler(handler: work)
        source.schedule(deadline: .now() + .milliseconds(intervalMillis), repeating: .milliseconds(intervalMillis))
        source.activate()
    }

    func cancel() { source.cancel() }

    deinit { source.cancel() }
}
