import Synchronization
public import WeirLog

/// Set once to ask every loop of a run to finish (or, as an abort, to give up at once).
///
/// Setting it fires `signal`, so a loop never polls it: take a `mark()` *before* looking
/// at `isSet` and whatever else the loop waits for, then wait on the marks together.
///
/// ```swift
/// let marks = [stop.mark()] + readers.map { $0.partition.newData.mark() }
/// if stop.isSet || hasData() { … }
/// ChangeSignal.wait(for: marks, until: nil)
/// ```
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Fires once, when the flag is set.
    public let signal = ChangeSignal()

    public init() {}

    public var isSet: Bool { flag.load(ordering: .acquiring) }

    /// Sets the flag and wakes whoever waits on a mark of it.
    public func set() {
        guard !flag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        signal.signal()
    }

    /// The flag's signal as it is now; take it before reading `isSet`.
    public func mark() -> ChangeSignal.Mark { signal.mark() }

    /// Blocks the calling thread until the flag is set (at once if it is) or `deadline`
    /// passes (never, when nil): a pause that a stop cuts short. Returns `isSet`.
    @available(*, noasync, message: "blocks its thread")
    @discardableResult
    public func wait(until deadline: ContinuousClock.Instant?) -> Bool {
        let mark = signal.mark()
        if isSet { return true }
        mark.wait(until: deadline)
        return isSet
    }
}
