import Dispatch
import Foundation
import Logging
import Metrics
import Synchronization
import WeirLog
import WeirValues

/// Runs one sink: its consumer-group members read the topics upstream of it, send each
/// batch through the transforms between, hand the result to the output, and commit.
///
/// A commit is the sink's checkpoint (the output's state with the next offset of every
/// partition), written durably after the output has the batch; the group's offsets
/// mirror it for `weir groups describe`. Members (`parallelism`, the largest of the sink
/// and the transforms before it) share the partitions as the group's assignor says, and
/// take turns at the output.
final class SinkRunner: SinkRunning, @unchecked Sendable {
    // unchecked: `output` is not Sendable (members call it under `commitLock`, or at once when it `writesConcurrently`), and the vars are behind `commitLock` and `syncLock`.
    let pipeline: PipelineDefinition
    let sink: ComponentDefinition
    let log: EmbeddedLog
    let graph: TransformGraph
    let deadLetters: DeadLetters
    let stats: ComponentStats
    let logger: Logger
    let checkpointPath: String
    private let store: SlottedCheckpoint
    /// The stateful transforms' state, beside the checkpoint (nil without such transforms).
    private let stateFiles: TransformStateFiles?
    /// `weir_transform_state_bytes` of the stateful transforms.
    private let stateGauges: TransformStateGauges
    /// Records read at most a batch: 4,000, or the output's own `batchRecords`.
    let batchSize: Int
    private let output: any SinkOutput
    /// The output and the `parse_json` before it, when the output reads JSON itself and
    /// that transform is the whole graph: batches then go to it as read (`encodedJSON`).
    private let jsonReading: (output: any JSONObjectsWriter, id: String, parser: JSONFieldParser)?
    /// What the next commit writes: the output's state and the next offset of every
    /// partition written (here or in an earlier run).
    private var checkpoint: SinkCheckpoint
    /// Guards `output` writes, `checkpoint` and `writes`.
    private let commitLock = NSLock()
    /// Guards syncs and `committedWrites`; taken without `commitLock` held.
    private let syncLock = NSLock()
    private var writes = 0
    private let mirrorQueue = DispatchQueue(label: "weir.sink.mirror")
    private let commitQueue = DispatchQueue(label: "weir.sink.commit")
    /// Under `syncLock`: the first failed commit, when offsets were last mirrored to the group.
    private var commitFailure: (any Error)?
    private var mirrored: Int64 = 0
    /// Under `syncLock`: a mirror is due after the last commit that was not mirrored at once.
    private var mirrorDue = false
    /// Where this run is in every partition its members read (see `PartitionProgress`);
    /// read by the sources' back-pressure and `/metrics` while a member may be blocked in
    /// the output, so not under `commitLock`.
    private let progress = Mutex<[TopicPartition: PartitionProgress]>([:])
    /// Fires when a batch is written (the lag drops) and when a background commit ends
    /// (there is room for another): sources held by back-pressure and members held by
    /// `maxUncommitted` wait on it.
    let moved = ChangeSignal()
    private static let maxUncommitted = 4
    /// Commits queued or running on `commitQueue`; at most `maxUncommitted`.
    private let uncommitted = Mutex(0)
    /// Sources writing this sink's topics wait while its lag is above this (`max_lag`).
    let maxLag: Int64
    /// How long a rebalance waits for a member to hand its partitions over (a batch in the
    /// output, then a commit) before going on without them.
    static let rebalanceTimeoutMs: Int64 = 30_000
    /// Whether the run started without a commit: a sink whose checkpoint is the whole truth
    /// then writes everything again (`take`).
    private let startedWithoutCheckpoint: Bool

    /// Where this run is in one partition.
    struct PartitionProgress: Sendable {
        let partition: Partition
        /// The member that reads it: group offsets are committed in its name.
        var owner: GroupMembership
        /// The next offset to write (the output has everything before it): the lag is
        /// measured from here.
        var written: Int64
        /// The next offset the last durable commit has (the start, before one): the
        /// group's committed offset for `/metrics`.
        var durable: Int64
        /// Whether a durable commit of this run holds it: only then is it mirrored to the group.
        var committed = false
    }
    private var committedWrites = 0
    private let firstError = Mutex<String?>(nil)
    /// Time from a record's timestamp to its write, once per batch for its oldest record.
    private let latency: Metrics.Timer

    init(_ setup: SinkRunnerSetup, log: EmbeddedLog) throws {
        let (pipeline, sink, checkpointDirectory, stats) = (setup.pipeline, setup.sink, setup.checkpointDirectory, setup.stats)
        self.pipeline = pipeline
        self.sink = sink
        self.log = log
        deadLetters = setup.deadLetters
        self.stats = stats
        logger = setup.logger
        graph = try TransformGraph(
            definition: pipeline, sink: sink, registry: setup.registry, abort: setup.abort, stats: setup.transformStats, log: log)
        stateGauges = TransformStateGauges(pipeline: pipeline.name, sink: sink.id)
        latency = Metrics.Timer(
            label: "weir_sink_end_to_end_latency_seconds", dimensions: [("pipeline", pipeline.name), ("component", sink.id)])
        maxLag = if case .int(let n) = sink.options["max_lag"] { n } else { 500_000 }
        checkpointPath = checkpointDirectory + "/sink-\(sink.id).checkpoint"
        store = try SlottedCheckpoint(path: checkpointPath)
        var saved = try Self.readCheckpoint(store, legacy: checkpointDirectory + "/sink-\(sink.id).json")
        stateFiles =
            graph.stateful.isEmpty ? nil : TransformStateFiles(checkpointPath: checkpointPath, sequence: saved?.stateSequence ?? 0)
        if let sequence = saved?.stateSequence, let stateFiles {
            let bytes = try stateFiles.read(sequence)
            do { saved?.state = try TransformStateEncoding.decode(bytes) } catch {
                throw PipelineError(description: "transform state \(stateFiles.path) cannot be decoded (\(error)); refusing to guess")
            }
        }
        if saved?.cluster != nil {
            throw PipelineError(
                description:
                    "sink '\(sink.id)': checkpoint \(checkpointPath) was written by a run on a cluster (--bootstrap); the embedded log needs a data directory of its own"
            )
        }
        checkpoint = saved ?? SinkCheckpoint()
        output = try setup.registry.makeSink(
            SinkSetup(
                options: ComponentOptions(sink, pipeline: pipeline.name), logger: logger, abort: setup.abort, log: log,
                lines: setup.lines, deadLetters: deadLetters, saved: saved, checkpointPath: checkpointPath,
                createdPath: checkpointDirectory + "/sink-\(sink.id).files"))
        batchSize = output.batchRecords ?? 4_000
        if let writer = output as? any JSONObjectsWriter, let parse = graph.onlyJSONParse {
            jsonReading = (writer, parse.id, parse.parser)
        } else {
            jsonReading = nil
        }
        // An output that holds its own offsets (a database) is where the run starts; this
        // host's checkpoint, committed after it, can only be behind it or stale.
        if let own = output.outputOffsets {
            if let id = graph.stateful.keys.sorted().first {
                throw PipelineError(
                    description:
                        "sink '\(sink.id)' keeps its offsets outside Weir's checkpoint, where transform '\(id)''s state cannot go with them: a stateful transform needs a sink whose offsets Weir commits (file, stdout, topic, http, blackhole)"
                )
            }
            checkpoint.offsets = own
            startedWithoutCheckpoint = own.isEmpty
        } else {
            startedWithoutCheckpoint = saved == nil
        }
        // The live view shows the lag back-pressure uses (the stats outlive the runner).
        stats.measureLag { [weak self] in self?.lag() ?? 0 }
    }

    /// The last commit, or nil when there is none. Reads the JSON checkpoint of earlier
    /// versions when there is no other.
    static func readCheckpoint(_ store: SlottedCheckpoint, legacy: String) throws -> SinkCheckpoint? {
        if let payload = store.read() {
            do {
                return try JSONDecoder().decode(SinkCheckpoint.self, from: Data(payload))
            } catch {
                throw PipelineError(
                    description: "checkpoint \(store.path) cannot be decoded (\(error)); refusing to guess where to continue")
            }
        }
        // No intact slot: nothing was committed (the first slot write is made before any
        // output, and a torn write leaves the other slot). A file sink then still refuses
        // an output file that holds data.
        return try CheckpointFile.read(SinkCheckpoint.self, legacy)
    }

    /// How many members read for this sink.
    var memberCount: Int {
        ([sink.parallelism] + graph.transformIDs.compactMap { pipeline.component($0)?.parallelism }).max() ?? 1
    }

    /// Runs the members until `finish` is set and they have read everything there was
    /// when it was (or until `abort`). Throws the first member's error.
    func run(finish: StopFlag, abort: StopFlag) throws {
        let topics = try graph.topics.map { try log.topic($0) }
        let counts = Dictionary(uniqueKeysWithValues: topics.map { ($0.name, $0.partitions.count) })
        // A topic deleted and made again since the last commit is read from its start:
        // the offsets committed (here and in the group) were of the one before.
        let recreated = commitLock.withLock { () -> Set<String> in
            var recreated = Set<String>()
            var incarnations = checkpoint.incarnations ?? [:]
            for topic in topics {
                if let committedTo = incarnations[topic.name], committedTo != topic.incarnation {
                    recreated.insert(topic.name)
                    checkpoint.offsets = checkpoint.offsets.filter { $0.key.topic != topic.name }
                    logger.warning(
                        "the topic was made again since this sink committed; reading it from its start",
                        metadata: [
                            "sink": "\(sink.id)", "topic": "\(topic.name)",
                        ])
                }
                incarnations[topic.name] = topic.incarnation
            }
            checkpoint.incarnations = incarnations
            checkpoint.group = sink.group
            return recreated
        }
        let prefetching = transformsAhead || Self.prefetches(topics, members: memberCount)
        var members: [String] = []
        for _ in 0..<memberCount {
            // Members hand their partitions over when the group rebalances (Kafka clients
            // joining or leaving it): a pipeline's sink and outside consumers split them.
            members.append(
                try log.groups.join(
                    group: sink.group, topics: Set(graph.topics), partitionCounts: counts, sessionTimeoutMs: 3_600_000,
                    rebalanceTimeoutMs: Self.rebalanceTimeoutMs
                ).memberID)
        }
        let memberships = try members.map { try log.groups.heartbeat(group: sink.group, memberID: $0) }
        stats.set(.running)
        defer { for member in members { log.groups.leave(group: sink.group, memberID: member) } }
        let done = DispatchGroup()
        // Every member runs, also one without partitions now: a rebalance may give it some.
        for membership in memberships {
            done.enter()
            Thread.detachNewThread { [self] in
                defer { done.leave() }
                do {
                    try member(membership, topics, recreated: recreated, prefetching: prefetching, finish: finish, abort: abort)
                } catch  where abort.isSet {
                    // Cut short by the abort (a drain timeout, or another failure already
                    // recorded): the batch is not committed, which is all an abort asks.
                } catch {
                    firstError.withLock { $0 = $0 ?? "sink '\(sink.id)': \(error)" }
                    abort.set()
                }
            }
        }
        done.wait()
        commitQueue.sync {}
        syncLock.withLock { mirror() }
        mirrorQueue.sync {}
        output.close()
        graph.close()
        if let error = firstError.withLock({ $0 }) { throw PipelineError(description: error) }
    }

    private func member(
        _ taken: GroupMembership, _ topics: [Topic], recreated: Set<String>, prefetching: Bool, finish: StopFlag,
        abort: StopFlag
    ) throws {
        let prefetcher =
            prefetching
            ? BatchPrefetcher<PreparedBatch>(name: "weir.sink.\(sink.id).prefetch") { [self] request, cancelled in
                var fetched = try FetchedBatch(reading: request, limit: batchSize, cancelled: cancelled)
                guard transformsAhead, !cancelled() else { return PreparedBatch(fetched: fetched) }
                if let encoded = encodedJSON(fetched) { return PreparedBatch(fetched: fetched, encoded: encoded) }
                return PreparedBatch(fetched: fetched, ahead: graph.runAhead(fetched.records(), from: request.key))
            } : nil
        // However the member ends (finished, aborted, failed), nothing it prefetched outlives it.
        defer { prefetcher?.stop() }
        var membership = taken
        // Joined while a rebalance runs: it takes nothing before the group settles.
        var readers = taken.mustRelease ? [] : try take(membership, topics, keeping: [], recreated: recreated, first: true)
        var first = taken.mustRelease
        var finishing = false
        while true {
            // Marked before anything is looked at: an append, a change of the group, `finish`
            // or `abort` after this ends the wait below at once.
            let marks = [finish.mark(), abort.mark(), log.groups.changed.mark()] + readers.map { $0.1.partition.newData.mark() }
            if abort.isSet { break }
            // Once finishing, read up to the ends as they are now and stop there.
            if !finishing && finish.isSet { finishing = true }
            let now = try log.groups.heartbeat(group: sink.group, memberID: membership.memberID)
            if now.mustRelease {
                // The group rebalances (a Kafka client joined or left): stop reading, commit
                // what was written, and take what the new generation gives this member.
                prefetcher?.discard()
                try handOver(readers.map(\.0), as: membership)
                readers = []
                // A drain does not wait for a slow client's rejoin: the partitions are the group's.
                guard
                    let next = try log.groups.release(
                        group: sink.group, memberID: membership.memberID, giveUp: { abort.isSet || finish.isSet })
                else { break }
                membership = next
                readers = try take(membership, topics, keeping: [], recreated: recreated, first: first)
                first = false
                continue
            }
            if now.generation != membership.generation {
                // A new generation that did not need this member's partitions: it keeps them
                // and reads any it gained.
                prefetcher?.discard()
                let assigned = Set(now.assignment)
                let dropped = readers.map(\.0).filter { !assigned.contains($0) }
                if !dropped.isEmpty { try handOver(dropped, as: membership) }
                membership = now
                readers = try take(
                    membership, topics, keeping: readers.filter { assigned.contains($0.0) }, recreated: recreated, first: false)
            }
            var progressed = false
            for i in readers.indices where !abort.isSet {
                // A partition deleted under the run stops the sink even when nothing is appended.
                try readers[i].1.partition.checkPresent()
                let end = try readers[i].1.partition.endOffset
                guard readers[i].1.position < end else { continue }
                let upNext = prefetcher == nil ? nil : Self.nextRead(after: i, in: readers)
                try step(readers[i].0, reader: &readers[i].1, end: end, abort: abort, prefetcher: prefetcher, upNext: upNext)
                progressed = true
            }
            if !progressed {
                if finishing { break }
                // Appends (and a partition deleted or closed), the group, `finish` and `abort`
                // all signal; the minute bounds only the heartbeat of an idle member.
                ChangeSignal.wait(for: marks, until: .now + .seconds(60))
            }
        }
    }

    /// Readers for the partitions `membership` assigns: those in `keeping` go on where they
    /// are; the others start where this sink's checkpoint or the group's committed offsets
    /// (another member may have read on) are further. Only the `first` take of a run
    /// ignores the group's offsets of a topic made again, or of a sink without a checkpoint
    /// that writes everything again; later ones start where the group's other members stopped.
    private func take(
        _ membership: GroupMembership, _ topics: [Topic], keeping: [(TopicPartition, PartitionReader)], recreated: Set<String>,
        first: Bool
    ) throws -> [(TopicPartition, PartitionReader)] {
        let partitions = membership.assignment.compactMap { key in
            topics.first { $0.name == key.topic }.flatMap {
                $0.partitions.indices.contains(key.partition) ? $0.partitions[key.partition] : nil
            }
        }
        let readers = try commitLock.withLock {
            try partitions.map { partition in
                let key = TopicPartition(topic: partition.topic, partition: partition.id)
                if let kept = keeping.first(where: { $0.0 == key }) { return kept }
                // Offsets committed to the group before the topic was made again are of the one before.
                // An output with its own offsets starts where they say (or at the start).
                let group =
                    first && (recreated.contains(key.topic) || output.outputOffsets != nil)
                    ? nil : try log.committedPosition(group: sink.group, partition: partition)
                var start: Int64
                let (startOffset, endOffset) = (try partition.startOffset, try partition.endOffset)
                switch (checkpoint.offsets[key], group) {
                case (let saved?, let group?): start = max(saved, group)
                case (let saved?, nil): start = saved
                // A sink whose checkpoint is the whole truth and that has none starts over
                // (removing a file sink's checkpoint rewrites its files).
                case (nil, let group?):
                    start = first && output.offsetsOnlyInCheckpoint && startedWithoutCheckpoint ? startOffset : group
                case (nil, nil): start = startOffset
                }
                if start > endOffset {
                    // The same topic, shorter than what was committed: a power loss took an
                    // unsynced tail that this sink had already written. Records appended
                    // from here on are new.
                    logger.warning(
                        "committed offset is past the end of the partition (its tail was lost); reading from its end",
                        metadata: [
                            "sink": "\(sink.id)", "partition": "\(key)", "committed": "\(start)", "end": "\(endOffset)",
                        ])
                    start = endOffset
                }
                start = max(start, startOffset)
                if !graph.stateful.isEmpty {
                    // State goes with the offset it was committed with: from anywhere else
                    // (the group's offset, moved on by another consumer) it starts empty.
                    let matches = checkpoint.offsets[key] == start
                    if !matches && checkpoint.state?[key] != nil {
                        logger.warning(
                            "the stateful transforms' state of this partition is not for the offset it starts at; starting with none",
                            metadata: ["sink": "\(sink.id)", "partition": "\(key)", "start": "\(start)"])
                    }
                    try graph.restore(key, from: matches ? checkpoint.state?[key] : nil)
                    if !matches { checkpoint.state?[key] = nil }
                }
                // The checkpoint follows: its next commit must not take the group back to
                // where this sink stopped before another member read on.
                checkpoint.offsets[key] = start
                return (key, PartitionReader(partition: partition, from: start))
            }
        }
        progress.withLock { progress in
            for (key, reader) in readers {
                if progress[key] != nil {
                    progress[key]!.owner = membership
                } else {
                    progress[key] = PartitionProgress(
                        partition: reader.partition, owner: membership, written: reader.position, durable: reader.position)
                }
            }
        }
        moved.signal()
        return readers
    }

    /// Gives up `partitions`: everything written is committed durably (commits run in
    /// order), the group gets their offsets, and this run stops counting them.
    private func handOver(_ partitions: [TopicPartition], as membership: GroupMembership) throws {
        commitQueue.sync {}
        if let failed = syncLock.withLock({ commitFailure }) { throw failed }
        let offsets = progress.withLock { progress in
            partitions.reduce(into: [TopicPartition: Int64]()) { offsets, key in offsets[key] = progress[key]?.durable }
        }
        if !offsets.isEmpty {
            // On the mirror's queue, after any mirror queued before: the group's offsets only move on.
            try mirrorQueue.sync {
                do {
                    try commitToGroup(offsets, as: membership)
                } catch WeirLogError.partitionNotAssigned {
                    // The rebalance ended without waiting for this member: what went to others is theirs.
                    logger.debug("offsets of partitions already given to others not committed", metadata: ["sink": "\(sink.id)"])
                }
            }
        }
        progress.withLock { progress in
            for key in partitions { progress.removeValue(forKey: key) }
        }
        logger.debug(
            "partitions handed over in a rebalance",
            metadata: ["sink": "\(sink.id)", "partitions": "\(partitions.map(\.description).sorted())"])
    }

    /// Reads one batch (or takes it from `prefetcher`), transforms it, writes it and commits.
    /// The reader moves on only when the batch is committed. While the batch is transformed
    /// and written, `prefetcher` reads the one after: `upNext` (the next partition the
    /// member reads), or else this partition's next batch (and transforms it, when the
    /// output `transformsAhead`).
    private func step(
        _ key: TopicPartition, reader committedReader: inout PartitionReader, end: Int64, abort: StopFlag,
        prefetcher: BatchPrefetcher<PreparedBatch>?, upNext: BatchRequest?
    ) throws {
        let request = BatchRequest(key: key, reader: committedReader, end: end)
        let prepared = try prefetcher?.take(request)?.get() ?? PreparedBatch(fetched: FetchedBatch(reading: request, limit: batchSize))
        var fetched = prepared.fetched
        let reader = fetched.reader
        if let prefetcher, let next = upNext ?? (reader.position < end ? BatchRequest(key: key, reader: reader, end: end) : nil) {
            prefetcher.prefetch(next)
        }
        let bytes = fetched.bytes
        let next = reader.position
        // With no transform between the topic and the sink, and nobody tapping the sink, a
        // sink that can writes the values where they were read: no record is made.
        let records: [PipelineRecord]
        let (count, oldest, failedUpstream): (Int, Int64?, Int)
        let write: (inout SinkCheckpoint) throws -> Void
        if let direct = output as? any ValueLinesWriter, direct.writesValuesAsLines, graph.passesUnchanged(key.topic),
            !stats.tap.isListening
        {
            let batch = fetched
            records = []
            (count, oldest, failedUpstream) = (batch.count, batch.oldestTimestamp, 0)
            write = { checkpoint in try batch.withValueLines { try direct.write(values: $0, checkpoint: &checkpoint) } }
        } else if let jsonReading, !tapped(jsonReading.id),
            let encoded = prepared.encoded ?? (prepared.ahead == nil ? encodedJSON(fetched) : nil)
        {
            // Made ready from the values by the output itself, as `parse_json` then the
            // output would have: the transform counts the batch as passed. (The taps are
            // asked again: one that began after the batch was made ready gets its records,
            // made below instead.)
            let batch = fetched
            records = []
            (count, oldest, failedUpstream) = (batch.count, batch.oldestTimestamp, 0)
            graph.stats[jsonReading.id]?.add(received: batch.count, sent: batch.count)
            write = { checkpoint in
                try jsonReading.output.write(
                    encoded: encoded, parsed: { try Self.parsed(batch, with: jsonReading.parser) }, input: key, next: next,
                    checkpoint: &checkpoint)
            }
        } else {
            let result = try prepared.ahead.map { try graph.process($0) } ?? graph.process(fetched.records(), from: key)
            // (DeadLetters logs them, rate-limited per component and reason.)
            for failure in result.failures where failure.onError != "drop" {
                deadLetters.add(failure.record, reason: failure.reason, component: failure.transform)
            }
            try deadLetters.flush()
            records = result.records
            (count, oldest, failedUpstream) = (
                records.count, records.isEmpty ? nil : records.reduce(Int64.max) { min($0, $1.timestamp) }, result.failures.count
            )
            write = { checkpoint in try self.output.write(records, input: key, next: next, checkpoint: &checkpoint) }
        }
        // The stateful transforms' state after this batch: committed with `next`.
        let state = graph.snapshot(key)
        if let state { stateGauges.record(state, transforms: graph.stateful.keys, of: key) }
        let written: Int
        if output.writesConcurrently {
            // Members write at once (a plugin with a process each); the checkpoint only
            // takes the offsets.
            var unused = SinkCheckpoint()
            try write(&unused)
            try deadLetters.flush()
            written = commitLock.withLock {
                checkpoint.offsets[key] = next
                if let state { checkpoint.setState(state, of: key) }
                writes += 1
                return writes
            }
        } else {
            written = try commitLock.withLock {
                try write(&checkpoint)
                // What the output dead-lettered is appended before its offsets can be
                // committed (a commit snapshots the checkpoint under this lock).
                try deadLetters.flush()
                checkpoint.offsets[key] = next
                if let state { checkpoint.setState(state, of: key) }
                writes += 1
                return writes
            }
        }
        // Committed in the background, in order: the member goes on with its next batch
        // while the fsync runs (a restart before the commit redoes the batch; the file is
        // cut back to the last commit). At most `maxUncommitted` writes wait at once.
        waitForCommitRoom()
        commitQueue.async { [self] in
            defer {
                uncommitted.withLock { $0 -= 1 }
                moved.signal()
            }
            do { try commit(upTo: written) } catch {
                firstError.withLock { $0 = $0 ?? "sink '\(sink.id)': \(error)" }
                abort.set()
            }
        }
        stats.add(received: count, sent: count, bytes: bytes, failedUpstream: failedUpstream)
        stats.tap.offer(records)
        if let oldest, oldest > 0 {
            latency.recordMilliseconds(max(0, currentTimeMillis() - oldest))
        }
        committedReader = reader
        progress.withLock { $0[key]?.written = next }
        moved.signal()
    }

    /// `fetched` made ready by an output that reads the JSON itself (`jsonReading`), unless
    /// the transform or the sink is tapped (a tap shows records, and none is made).
    private func encodedJSON(_ fetched: FetchedBatch) -> (any Sendable)? {
        guard let jsonReading, !tapped(jsonReading.id) else { return nil }
        return fetched.withValues { jsonReading.output.encode($0, parsing: jsonReading.parser) }
    }

    /// Whether someone taps transform `id` or the sink.
    private func tapped(_ id: String) -> Bool { graph.stats[id]?.tap.isListening == true || stats.tap.isListening }

    /// The records of a batch an output read as JSON itself, through its `parse_json`,
    /// for when the output needs them after all.
    private static func parsed(_ batch: FetchedBatch, with parser: JSONFieldParser) throws -> [PipelineRecord] {
        var batch = batch
        guard let records = parser.parsed(batch.records()) else {
            throw PipelineError(description: "a batch whose JSON an output read no longer parses (\(batch.key))")
        }
        return records
    }

    /// Whether members read their next batch and run its transforms that keep no state
    /// (`TransformGraph.runAhead`) while they write the current one: for an output that
    /// mostly waits on a server (the postgres sink parsing its next rows while the database
    /// stores these), and before a transform that keeps state (an `aggregate` counting one
    /// batch while the next is parsed). BENCHMARKS.md has both.
    var transformsAhead: Bool { !graph.aheadable.isEmpty && (output.waitsOnServer || !graph.stateful.isEmpty) }

    /// Whether members read their next batch while the current one is transformed (a
    /// `BatchPrefetcher` each): when a topic they read is compressed and a core is left
    /// over for it. Inflating is then most of reading; reading an uncompressed topic is
    /// little more than a copy, and overlapping it gained nothing measurable
    /// (Benchmarks/ab). With a member on every core a prefetch only competes with them: on
    /// 2 cores at parallelism 2 it cost 2-3% wall time and 5 MiB.
    static func prefetches(_ topics: [Topic], members: Int) -> Bool {
        topics.contains { $0.config.compression != .none } && members < ProcessInfo.processInfo.activeProcessorCount
    }

    /// The batch a member reads after the one of `readers[index]`: the next partition in
    /// its turn with records to read, at its end as it is now (a later end still takes the
    /// batch). Nil when no other partition has any: the member then reads on in this one.
    static func nextRead(after index: Int, in readers: [(TopicPartition, PartitionReader)]) -> BatchRequest? {
        for ahead in readers.indices.dropFirst() {
            let (key, reader) = readers[(index + ahead) % readers.count]
            if let end = try? reader.partition.endOffset, reader.position < end {
                return BatchRequest(key: key, reader: reader, end: end)
            }
        }
        return nil
    }

    /// Blocks while `maxUncommitted` commits are queued, then counts one more. Commits end
    /// (or fail) on their own, so no deadline.
    private func waitForCommitRoom() {
        while true {
            let mark = moved.mark()
            let counted = uncommitted.withLock { queued in
                guard queued < Self.maxUncommitted else { return false }
                queued += 1
                return true
            }
            if counted { return }
            mark.wait(until: nil)
        }
    }

    /// Each partition this sink reads, with its end and the next offset the last
    /// durable commit has for it (a checkpoint may also hold partitions it read before).
    func committedOffsets() -> [(topic: String, partition: Int, offset: Int64, end: Int64)] {
        progress.withLock { $0 }.map { key, progress in
            (key.topic, key.partition, progress.durable, (try? progress.partition.endOffset) ?? progress.durable)
        }
    }

    var inputTopics: [String] { graph.topics }

    /// Records of `topic` (of every input topic when nil) appended but not yet written
    /// by this sink, now.
    func lag(of topic: String? = nil) -> Int64 {
        progress.withLock { progress in
            progress.values.filter { topic == nil || $0.partition.topic == topic }.reduce(0) {
                $0 + max(0, ((try? $1.partition.endOffset) ?? $1.written) - $1.written)
            }
        }
    }

    /// Makes the output durable, then the checkpoint, for every write up to `write`
    /// (group commit: a member whose write an earlier sync covered returns at once).
    private func commit(upTo write: Int) throws {
        try syncLock.withLock {
            // After a failed commit nothing more is committed: a later fsync can succeed
            // although the earlier bytes never reached the disk.
            if let failed = commitFailure { throw failed }
            guard committedWrites < write else { return }
            // Everything in this snapshot was written before the sync below starts.
            let (snapshot, upTo, work) = commitLock.withLock { (checkpoint, writes, output.syncWork()) }
            do {
                try work()
                var commit = snapshot
                if let stateFiles, let state = commit.state {
                    // The state first, durably; then the checkpoint that names it.
                    commit.stateSequence = try stateFiles.write(TransformStateEncoding.encode(state))
                    commit.state = nil
                }
                try store.write(Array(try JSONEncoder().encode(commit)))
            } catch {
                commitFailure = PipelineError(description: "commit of sink '\(sink.id)' failed: \(error)")
                throw error
            }
            committedWrites = upTo
            progress.withLock { progress in
                for (key, offset) in snapshot.offsets where progress[key] != nil {
                    progress[key]!.durable = offset
                    progress[key]!.committed = true
                }
            }
            if monotonicMillis() - mirrored >= 1000 {
                mirror()
            } else if !mirrorDue {
                // At most one mirror a second, and the last commit is mirrored too, a second
                // later, when no other comes: an idle sink's group shows where it is.
                mirrorDue = true
                mirrorQueue.asyncAfter(deadline: .now() + 1) { [self] in
                    syncLock.withLock {
                        mirrorDue = false
                        mirror()
                    }
                }
            }
        }
    }

    /// Commits offsets to the group in `membership`'s name; when the group rebalanced and
    /// the member kept its partitions, under the current generation (refused for any it
    /// handed over: `partitionNotAssigned`).
    private func commitToGroup(_ offsets: [TopicPartition: Int64], as membership: GroupMembership) throws {
        do {
            try log.groups.commit(group: sink.group, memberID: membership.memberID, generation: membership.generation, offsets: offsets)
        } catch WeirLogError.staleGeneration {
            try log.groups.commit(
                group: sink.group, memberID: membership.memberID, generation: log.groups.generation(group: sink.group), offsets: offsets)
        }
    }

    /// Copies committed offsets to the group (for `weir groups describe`, and where
    /// non-file sinks start), in the background, each partition by the member that owns
    /// it. Only offsets of a durable commit are mirrored. Called under `syncLock`.
    private func mirror() {
        mirrored = monotonicMillis()
        mirrorDue = false
        var byMember: [String: (GroupMembership, [TopicPartition: Int64])] = [:]
        for (key, progress) in progress.withLock({ $0 }) where progress.committed {
            byMember[progress.owner.memberID, default: (progress.owner, [:])].1[key] = progress.durable
        }
        guard !byMember.isEmpty else { return }
        mirrorQueue.async { [self, byMember] in
            for (membership, offsets) in byMember.values {
                do {
                    try commitToGroup(offsets, as: membership)
                } catch {
                    logger.debug("group offsets not mirrored", metadata: ["sink": "\(sink.id)", "error": "\(error)"])
                }
            }
        }
    }
}
