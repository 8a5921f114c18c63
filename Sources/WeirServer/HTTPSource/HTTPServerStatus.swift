import Synchronization
import WeirLog

/// What an `http_server` source tells outside the run: the `host:port` it listens on
/// once it does (the port chosen when 0 was asked) and how many requests it is handling.
public final class HTTPServerStatus: Sendable {
    private struct State {
        var address: String?
        var requestsInProgress = 0
    }

    private let state = Mutex(State())
    /// Fires on every change.
    private let changed = ChangeSignal()

    public init() {}

    /// Requests whose head has arrived and that are not yet answered.
    public var requestsInProgress: Int { state.withLock { $0.requestsInProgress } }

    func listening(at address: String) { update { $0.address = address } }
    func requestStarted() { update { $0.requestsInProgress += 1 } }
    func requestEnded() { update { $0.requestsInProgress -= 1 } }

    private func update(_ change: (inout State) -> Void) {
        state.withLock { change(&$0) }
        changed.signal()
    }

    /// The address, waiting (blocking this thread) up to `seconds` for the source to
    /// listen; nil if it did not.
    @available(*, noasync, message: "blocks its thread")
    public func address(waitingUpTo seconds: Int) -> String? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let mark = changed.mark()
            if let known = state.withLock({ $0.address }) { return known }
            if ContinuousClock.now >= deadline { return nil }
            mark.wait(until: deadline)
        }
    }
}
