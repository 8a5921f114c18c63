import Foundation
import Synchronization
import WeirLog
import WeirValues

/// Appends what a source reads into its topic, one batch per chunk of input, with the
/// source's position in the header of the chunk's last record.
///
/// A chunk goes whole to one partition (the next one round-robin, as Kafka's sticky
/// partitioner does for unkeyed records), so it is one append: after a crash the log
/// holds the chunk and its position together, or neither. The producer appends chunks in
/// the order they were given, so what survives a crash is always a prefix of them.
package final class SourceWriter {
    let source: String
    let topic: String
    let checkpointPath: String
    private let producer: any LogAppender
    private let partitionCount: Int
    /// Each partition's end when the source started: later positions are after it.
    private let startEnds: [Int64]
    private var nextPartition = 0
    private var chunkPartition: Int?
    private var chunkRecords = 0
    private var chunkBytes = 0
    /// The chunk's first records as `weir tap` shows them, built only while someone
    /// listens (asked once per chunk).
    private var tapped: [PipelineRecord] = []
    private var tapping = false
    private(set) var state: SourceState
    /// This source never ran before (its checkpoint says so).
    let firstStart: Bool
    private var lastCheckpoint: Int64 = 0
    /// A position changed without a record to carry it: only the checkpoint can keep it.
    private var positionOutsideLog = false
    private let checkpointQueue = DispatchQueue(label: "weir.source.checkpoint")
    private let checkpointFailure = FirstError()
    let stats: ComponentStats
    /// Called before each chunk: back-pressure (returns once the sinks have caught up).
    var waitForRoom: () -> Void = {}
    /// Whether `waitForRoom` would return at once now: for a source that answers "later"
    /// (HTTP 429) rather than hold its client.
    var hasRoom: () -> Bool = { true }

    /// Recovers the source's state from its checkpoint and the log.
    init(source: String, topic: String, log: any PipelineLog, checkpointPath: String, stats: ComponentStats) throws {
        self.source = source
        self.topic = topic
        self.checkpointPath = checkpointPath
        self.stats = stats
        producer = try log.appender(to: topic, creating: nil, chunks: true)
        partitionCount = producer.partitionCount
        var (state, ends) = try SourceCheckpoint.recover(source: source, topic: topic, log: log, path: checkpointPath)
        firstStart = state.started != true
        state.started = true
        self.state = state
        startEnds = ends
        nextPartition = Int(state.seq % Int64(partitionCount))
        try CheckpointFile.write(SourceCheckpoint(state: state, scanFrom: ends), checkpointPath)
    }

    /// Queues records of the current chunk with no key and no headers, one per range of
    /// `bytes`, all stamped `timestamp`; the last carries `position`: what `add` does for
    /// each, with one call to the log for all but the last.
    func add(
        values bytes: UnsafeRawBufferPointer, _ ranges: UnsafeBufferPointer<Range<Int>>, timestamp: Int64, position: SourcePosition.Kind
    )
        throws
    {
        guard let last = ranges.last else { return }
        let before = UnsafeBufferPointer(rebasing: ranges.dropLast())
        if !before.isEmpty {
            let partition = startChunk()
            try producer.send(values: bytes, before, timestamp: timestamp, partition: partition)
            chunkRecords += before.count
            for range in before {
                chunkBytes += range.count
                if tapping && tapped.count < TapPoint.perBatch {
                    tapped.append(
                        PipelineRecord(message: String(decoding: bytes[range], as: UTF8.self), timestamp: timestamp))
                }
            }
        }
        try add(UnsafeRawBufferPointer(rebasing: bytes[last]), timestamp: timestamp, position: position)
    }

    /// The partition of the current chunk, chosen (round-robin) at its first record, which
    /// first waits for room and asks whether anyone taps the source.
    private func startChunk() -> Int {
        if let chunkPartition { return chunkPartition }
        waitForRoom()
        tapping = stats.tap.isListening
        let chosen = nextPartition
        nextPartition = (nextPartition + 1) % partitionCount
        chunkPartition = chosen
        return chosen
    }

    /// Queues one record of the current chunk; the chunk's last record carries `position`.
    func add(
        _ value: UnsafeRawBufferPointer, key: [UInt8]? = nil, timestamp: Int64, headers extra: [RecordHeader] = [],
        position: SourcePosition.Kind? = nil
    ) throws {
        let partition = startChunk()
        var headers = extra
        var applied: SourcePosition?
        if let position {
            var record = SourcePosition(source: source, seq: state.seq + 1)
            switch position {
            case .file(let slot, let cursor):
                record.slot = slot
                record.file = cursor
            case .generated(let count):
                record.generated = count
            case .opaque(let text):
                record.opaque = text
            }
            applied = record
            headers.append(RecordHeader(key: SourcePosition.header, value: record.encoded()))
        }
        if let key {
            try key.withUnsafeBytes {
                try producer.send(key: $0, value: value, timestamp: timestamp, headers: headers, partition: partition)
            }
        } else {
            try producer.send(key: nil, value: value, timestamp: timestamp, headers: headers, partition: partition)
        }
        // Only a position whose record is queued counts (a refused one must not reach
        // the checkpoint).
        if let applied { state.apply(applied) }
        chunkRecords += 1
        chunkBytes += value.count
        if tapping && tapped.count < TapPoint.perBatch {
            tapped.append(PipelineRecord(message: String(decoding: value, as: UTF8.self), timestamp: timestamp, key: key))
        }
        if position != nil {
            try producer.endBatch(partition: partition)
            countChunk()
        }
    }

    /// The chunk is queued for its partition: counts it and shows it to the tap.
    private func countChunk() {
        stats.add(received: chunkRecords, sent: chunkRecords, bytes: chunkBytes)
        if tapping {
            stats.tap.offer(tapped)
            tapped.removeAll()
        }
        chunkRecords = 0
        chunkBytes = 0
        chunkPartition = nil
    }

    /// Ends the current chunk of a source without positions (stdin).
    func endChunk() throws {
        guard let partition = chunkPartition else { return }
        try producer.endBatch(partition: partition)
        countChunk()
    }

    /// A position with no record (a file now known, or all of it skipped).
    func note(_ position: SourcePosition.Kind) {
        switch position {
        case .file(let slot, let cursor):
            state.files[String(slot)] = cursor
            state.nextSlot = max(state.nextSlot, slot + 1)
        case .generated(let count): state.generated = count
        case .opaque(let text): state.opaque = text
        }
        positionOutsideLog = true
    }

    /// Waits until everything is appended (durable as the topic's flush policy says),
    /// then, at most once per `interval` ms, writes the checkpoint: in the background (the
    /// log already holds every position; the checkpoint only shortens the scan at the next
    /// start), or at once when `force`d or when a position exists only in the state.
    package func flush(force: Bool = false, interval: Int64 = 1000) throws {
        try producer.flush()
        if let failed = checkpointFailure.error { throw failed }
        let now = currentTimeMillis()
        guard force || positionOutsideLog || now - lastCheckpoint >= interval else { return }
        lastCheckpoint = now
        let checkpoint = SourceCheckpoint(state: state, scanFrom: zip(startEnds, try producer.scanMarks()).map { max($0, $1) })
        let path = checkpointPath
        if force || positionOutsideLog {
            positionOutsideLog = false
            checkpointQueue.sync {}
            try CheckpointFile.write(checkpoint, path)
        } else {
            let failure = checkpointFailure
            checkpointQueue.async {
                do { try CheckpointFile.write(checkpoint, path) } catch { failure.record(error) }
            }
        }
    }

    func takeSlot() -> Int {
        defer { state.nextSlot += 1 }
        return state.nextSlot
    }
}

extension SourcePosition {
    enum Kind {
        case file(slot: Int, FileCursor)
        case generated(Int64)
        /// A plugin's own position, kept as it gave it.
        case opaque(String)
    }
}

/// The first error of work done in the background, for the next caller to throw.
final class FirstError: Sendable {
    private let first = Mutex<(any Error)?>(nil)

    var error: (any Error)? { first.withLock { $0 } }

    func record(_ error: any Error) { first.withLock { $0 = $0 ?? error } }
}
