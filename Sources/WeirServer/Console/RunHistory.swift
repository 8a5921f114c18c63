import Synchronization

/// The last `capacity` one-second samples of every component, for the web console's
/// charts (`GET /api/history`) and its live updates (`GET /api/events`).
///
/// A ring of fixed-capacity columns: a sample overwrites the oldest once `capacity`
/// were taken, so the memory is set when the components are first seen and never grows
/// (20 bytes per component and sample, 28 for a sink; 8 per sample for the time).
/// Rates are kept as `Float` and counts per second as `UInt32`: a chart needs no more.
final class RunHistory: Sendable {
    /// 15 minutes at one sample a second.
    static let defaultCapacity = 900

    let capacity: Int
    private let ring: Mutex<Ring>
    /// The newest sample as a server-sent event, encoded once for every open stream.
    private let latestEvent = Mutex<(sequence: UInt64, bytes: [UInt8])?>(nil)
    private let openStreams = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)
    /// At most this many `/api/events` streams at once (a forgotten tab holds one).
    let maximumStreams: Int

    /// Who a column belongs to.
    struct Component: Sendable, Equatable {
        var pipeline: String
        var id: String
        var kind: String
        var type: String
    }

    /// One component's values for one second.
    struct Reading: Sendable, Equatable {
        var received: Float = 0
        var sent: Float = 0
        var bytes: Float = 0
        /// Errors and dead letters during that second (not totals).
        var errors: UInt32 = 0
        var deadLettered: UInt32 = 0
        /// Sinks only.
        var lag: Int64 = 0
    }

    struct Column: Sendable {
        var received: [Float]
        var sent: [Float]
        var bytes: [Float]
        var errors: [UInt32]
        var deadLettered: [UInt32]
        /// Empty for anything but a sink.
        var lag: [Int64]

        init(capacity: Int, isSink: Bool) {
            received = Array(repeating: 0, count: capacity)
            sent = received
            bytes = received
            errors = Array(repeating: 0, count: capacity)
            deadLettered = errors
            lag = isSink ? Array(repeating: 0, count: capacity) : []
        }

        mutating func set(_ reading: Reading, at slot: Int) {
            received[slot] = reading.received
            sent[slot] = reading.sent
            bytes[slot] = reading.bytes
            errors[slot] = reading.errors
            deadLettered[slot] = reading.deadLettered
            if !lag.isEmpty { lag[slot] = reading.lag }
        }

        func reading(at slot: Int) -> Reading {
            Reading(
                received: received[slot], sent: sent[slot], bytes: bytes[slot], errors: errors[slot], deadLettered: deadLettered[slot],
                lag: lag.isEmpty ? 0 : lag[slot])
        }
    }

    struct Ring: Sendable {
        var components: [Component] = []
        var columns: [Column] = []
        /// Seconds since 1970 of each sample.
        var times: [Double] = []
        /// Samples taken in all; the newest is number `sequence`.
        var sequence: UInt64 = 0
        /// Samples held (at most the capacity).
        var count = 0

        /// The slots of the samples held, oldest first.
        func slots(capacity: Int) -> [Int] {
            let newest = Int((sequence + UInt64(capacity) - 1) % UInt64(capacity))
            return (0..<count).map { (newest - count + 1 + $0 + capacity) % capacity }
        }
    }

    init(capacity: Int = defaultCapacity, maximumStreams: Int = 16) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.maximumStreams = maximumStreams
        ring = Mutex(Ring())
    }

    /// Adds one sample: a reading per component, in the order of `components`. When the
    /// components are not the ones of the samples before (the pipelines were attached),
    /// the history starts again with them. Returns the sample's number.
    @discardableResult
    func record(time: Double, components: [Component], readings: [Reading]) -> UInt64 {
        precondition(components.count == readings.count)
        return ring.withLock { (ring: inout Ring) -> UInt64 in
            if ring.components != components {
                ring = Ring(components: components, columns: components.map { Column(capacity: capacity, isSink: $0.kind == "sink") })
                ring.times = Array(repeating: 0, count: capacity)
                ring.sequence = 0
            }
            let slot = Int(ring.sequence % UInt64(capacity))
            ring.times[slot] = time
            for index in readings.indices { ring.columns[index].set(readings[index], at: slot) }
            ring.sequence += 1
            ring.count = min(ring.count + 1, capacity)
            return ring.sequence
        }
    }

    /// A copy of the ring (its arrays are shared until the next sample writes).
    var snapshot: Ring { ring.withLock { $0 } }

    /// Bytes the ring's columns hold (for the docs and tests).
    var heldBytes: Int {
        ring.withLock { ring in
            ring.times.count * MemoryLayout<Double>.stride
                + ring.columns.reduce(0) { total, column in
                    total + column.received.count * 3 * MemoryLayout<Float>.stride + column.errors.count * 2
                        * MemoryLayout<UInt32>.stride + column.lag.count * MemoryLayout<Int64>.stride
                }
        }
    }

    // MARK: Event streams

    /// Whether an event stream is open: only then are events encoded.
    var hasStreams: Bool { openStreams.load(ordering: .relaxed) > 0 }

    func publish(sequence: UInt64, event: [UInt8]) {
        latestEvent.withLock { $0 = (sequence, event) }
    }

    /// The newest event once it is newer than `sequence`, checked four times a second;
    /// nil when the history is closed (the server stops) or the task is cancelled.
    func event(after sequence: UInt64) async -> (sequence: UInt64, bytes: [UInt8])? {
        while !closed.load(ordering: .relaxed) && !Task.isCancelled {
            if let latest = latestEvent.withLock({ $0 }), latest.sequence > sequence { return latest }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return nil
    }

    /// No more samples: open streams end.
    func close() { closed.store(true, ordering: .relaxed) }

    /// A place among the open event streams, or nil when `maximumStreams` are open. The
    /// place is given back when the returned slot goes away (the response is done, or
    /// was never sent).
    func openStream() -> StreamSlot? {
        var current = openStreams.load(ordering: .relaxed)
        while current < maximumStreams {
            let (exchanged, original) = openStreams.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return StreamSlot(history: self) }
            current = original
        }
        return nil
    }

    fileprivate func closeStream() { openStreams.subtract(1, ordering: .relaxed) }

    /// One open event stream; its place is given back when it is released.
    final class StreamSlot: Sendable {
        private let history: RunHistory

        fileprivate init(history: RunHistory) { self.history = history }

        deinit { history.closeStream() }
    }
}
