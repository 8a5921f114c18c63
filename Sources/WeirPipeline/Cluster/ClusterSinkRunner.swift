import Foundation
import Logging
import Synchronization
import WeirLog
import WeirRdKafka

/// Runs one sink on a cluster: this process's member of the sink's consumer group (the
/// same sink in every runner on every host joins it, and the group's assignor spreads
/// the partitions over them), reading through librdkafka on this thread.
///
/// Every batch is carried through the transforms into the output, then committed:
/// the output made durable, the checkpoint written, and the offsets committed to the
/// group under the member's generation, with the `CommitLedger` that lets a restarted
/// runner tell whether its last commit reached the group (`ClusterCommit`). A partition
/// starts where the group's offsets say. A runner the group fenced out (cut off longer
/// than the session timeout, so its partitions went to others) cannot commit: it cuts
/// its output back to its last commit the group holds, and joins again.
final class ClusterSinkRunner: SinkRunning, @unchecked Sendable {
    // unchecked: everything but `progress` and `moved` is used by the thread in `run` only.
    let setup: SinkRunnerSetup
    let log: ClusterLog
    let graph: TransformGraph
    let checkpointPath: String
    let logger: Logger
    let batchSize = 4_000
    /// A cluster's retention is the cluster's business: sources are never held back.
    let maxLag = Int64.max
    let moved = ChangeSignal()
    private let store: SlottedCheckpoint
    private var output: any SinkOutput
    /// What the next commit writes.
    private var checkpoint: SinkCheckpoint
    /// The state of the last commit the group is known to hold: what a failed commit is
    /// cut back to.
    private var landed: SinkCheckpoint
    /// The commit the checkpoint on disk waits for, until a member of the group finds out
    /// whether it reached the group.
    private var unresolved: ClusterCommit?
    private var nextCommit: Int64 = 1
    private var dirty = false
    private let progress = Mutex<[KafkaTopicPartition: Progress]>([:])

    struct Progress {
        var written: Int64
        var durable: Int64
    }

    /// The group took this member's partitions, or refused its commit.
    struct Fenced: Error, CustomStringConvertible {
        var description: String
    }

    /// Commit errors that trying again cannot mend (Kafka's codes): the run stops.
    static let refusedForGood: Set<Int32> = [
        12,  // OFFSET_METADATA_TOO_LARGE
        28,  // INVALID_COMMIT_OFFSET_SIZE
        29,  // TOPIC_AUTHORIZATION_FAILED
        30,  // GROUP_AUTHORIZATION_FAILED
    ]

    var sink: ComponentDefinition { setup.sink }
    var stats: ComponentStats { setup.stats }
    var inputTopics: [String] { graph.topics }

    init(_ setup: SinkRunnerSetup, log: ClusterLog) throws {
        self.setup = setup
        self.log = log
        logger = setup.logger
        graph = try TransformGraph(
            definition: setup.pipeline, sink: setup.sink, registry: setup.registry, abort: setup.abort, stats: setup.transformStats,
            log: log)
        if let id = graph.stateful.keys.sorted().first {
            throw PipelineError(
                description:
                    "sink '\(setup.sink.id)': transform '\(id)' keeps state, which runs on the embedded log only for now (its state is not yet committed with a cluster's offsets)"
            )
        }
        checkpointPath = setup.checkpointDirectory + "/sink-\(setup.sink.id).checkpoint"
        store = try SlottedCheckpoint(path: checkpointPath)
        let saved = try SinkRunner.readCheckpoint(store, legacy: setup.checkpointDirectory + "/sink-\(setup.sink.id).json")
        if let saved, saved.cluster == nil, !saved.offsets.isEmpty {
            throw PipelineError(
                description:
                    "sink '\(setup.sink.id)': checkpoint \(checkpointPath) was written by a run on the embedded log; a run on a cluster needs a data directory of its own"
            )
        }
        checkpoint = saved ?? SinkCheckpoint()
        unresolved = saved?.cluster.flatMap { $0.partitions.isEmpty ? nil : $0 }
        nextCommit = (saved?.cluster?.id ?? 0) + 1
        landed = checkpoint
        landed.cluster = nil
        if let previous = saved?.cluster?.previous { landed = try JSONDecoder().decode(SinkCheckpoint.self, from: previous) }
        checkpoint.group = setup.sink.group
        // Made now, so a refused output file stops the run before sources append.
        output = try Self.makeOutput(setup, log: log, saved: saved, checkpointPath: checkpointPath)
        stats.measureLag { [weak self] in self?.lag(of: nil) ?? 0 }
    }

    private static func makeOutput(_ setup: SinkRunnerSetup, log: ClusterLog, saved: SinkCheckpoint?, checkpointPath: String) throws
        -> any SinkOutput
    {
        let output = try setup.registry.makeSink(
            SinkSetup(
                options: ComponentOptions(setup.sink, pipeline: setup.pipeline.name), logger: setup.logger, abort: setup.abort,
                log: log, lines: setup.lines, deadLetters: setup.deadLetters, saved: saved,
                checkpointPath: checkpointPath, createdPath: setup.checkpointDirectory + "/sink-\(setup.sink.id).files"))
        // Its offsets would have to agree with the group's commits (`ClusterCommit`): not yet.
        if output.outputOffsets != nil {
            output.close()
            throw PipelineError(description: "sink '\(setup.sink.id)': a sink that keeps its own offsets runs on the embedded log only")
        }
        return output
    }

    func lag(of topic: String?) -> Int64 { 0 }

    func committedOffsets() -> [(topic: String, partition: Int, offset: Int64, end: Int64)] {
        progress.withLock { $0 }.map { key, progress in (key.topic, Int(key.partition), progress.durable, progress.written) }
    }

    func run(finish: StopFlag, abort: StopFlag) throws {
        stats.set(.running)
        defer {
            output.close()
            graph.close()
        }
        while true {
            do {
                try session(finish: finish, abort: abort)
                return
            } catch let fenced as Fenced {
                if abort.isSet { return }
                logger.warning(
                    "the group fenced this runner out; its output goes back to its last commit the group holds, and it joins again",
                    metadata: ["sink": "\(sink.id)", "reason": "\(fenced.description)"])
                progress.withLock { $0.removeAll() }
                dirty = false
                // A commit that failed may still have reached the group: the next membership
                // finds out (`resolve`). Without one, what was written since the last
                // commit is not the group's.
                if unresolved == nil { try cutBack() }
                // Not a tight loop when the cluster keeps refusing.
                abort.wait(until: .now + .seconds(1))
            }
        }
    }

    /// One membership of the group: from joining until `finish` (everything read) or a fence.
    private func session(finish: StopFlag, abort: StopFlag) throws {
        let consumer = try RdKafkaConsumer(
            ClientRole.consumer.filter(log.configuration).merging([("group.id", sink.group), ("auto.offset.reset", "earliest")]),
            logger: logger)
        defer { consumer.close() }
        try consumer.subscribe(graph.topics)
        var owned: [KafkaTopicPartition: CommitLedger] = [:]
        /// Once finishing: where each partition owned ended then (its start and end).
        var targets: [KafkaTopicPartition: (start: Int64, end: Int64)] = [:]
        var finishing = false
        var settled = false
        var assignedOnce = false
        var lastRebalance = monotonicMillis()
        func done(_ key: KafkaTopicPartition) -> Bool {
            guard let target = targets[key] else { return false }
            return (checkpoint.offsets[TopicPartition(key)] ?? target.start) >= target.end
        }
        while !abort.isSet {
            if !finishing && finish.isSet {
                finishing = true
                for key in owned.keys { targets[key] = try consumer.watermarks(key) }
            }
            // An assignment is settled once given; after a cooperative revoke no new one
            // may come, so there also when nothing came for a while.
            let quiet = consumer.rebalanceProtocol == "COOPERATIVE" && monotonicMillis() - lastRebalance > 3_000
            if finishing && assignedOnce && (settled || quiet) && owned.keys.allSatisfy(done) {
                try commit(consumer, &owned)
                return
            }
            switch try consumer.poll(timeoutMillis: 200, maxMessages: batchSize) {
            case .assigned(let partitions):
                lastRebalance = monotonicMillis()
                let held = try consumer.committedWithMetadata(partitions)
                // Joined: the new generation fences any commit of an earlier membership
                // still on its way, so what the group holds now is final.
                if let commit = unresolved { try resolve(commit, consumer) }
                var starts: [(KafkaTopicPartition, offset: Int64?)] = []
                for key in partitions {
                    owned[key] = CommitLedger(parsing: held[key]?.metadata ?? "")
                    // Commit ids go on from the group's, also when the checkpoint was removed.
                    nextCommit = max(nextCommit, (owned[key]!.commit(of: log.runnerID) ?? 0) + 1)
                    if finishing { targets[key] = try consumer.watermarks(key) }
                    let start = held[key]?.offset
                    checkpoint.offsets[TopicPartition(key)] = start
                    // -2: the partition's start (where retention left it).
                    starts.append((key, start ?? -2))
                    progress.withLock { $0[key] = Progress(written: start ?? 0, durable: start ?? 0) }
                }
                try consumer.assign(starts)
                settled = true
                assignedOnce = true
                logger.info(
                    "partitions assigned", metadata: ["sink": "\(sink.id)", "partitions": "\(partitions.map(\.description).sorted())"])
            case .revoked(let partitions, let lost):
                lastRebalance = monotonicMillis()
                settled = false
                // Logged once this runner is done with them: committed, or (lost) left uncommitted.
                func logRevoked() {
                    logger.info(
                        "partitions revoked",
                        metadata: ["sink": "\(sink.id)", "partitions": "\(partitions.map(\.description).sorted())", "lost": "\(lost)"])
                }
                if lost {
                    logRevoked()
                    throw Fenced(
                        description: "the group gave \(partitions.count) partition(s) to others (this runner was cut off too long)")
                }
                try commit(consumer, &owned)
                for key in partitions {
                    owned[key] = nil
                    _ = progress.withLock { $0.removeValue(forKey: key) }
                }
                try consumer.unassign(partitions)
                logRevoked()
            case .messages(let messages):
                try write(messages, owned: owned)
                try commit(consumer, &owned)
            case .reachedEnd, .idle:
                break
            }
        }
    }

    /// Keeps the checkpoint when its commit reached the group; otherwise cuts the output
    /// back to the commit before it.
    private func resolve(_ commit: ClusterCommit, _ consumer: RdKafkaConsumer) throws {
        unresolved = nil
        guard commit.runner == log.runnerID else {
            throw PipelineError(
                description:
                    "sink '\(sink.id)': checkpoint \(checkpointPath) is of runner \(commit.runner), not this one (\(log.runnerID)); its data directory's runner-id was changed"
            )
        }
        let keys = commit.partitions.compactMap(KafkaTopicPartition.init(parsing:))
        let held = try consumer.committedWithMetadata(keys)
        let reached = keys.filter { (held[$0].map { CommitLedger(parsing: $0.metadata) }?.commit(of: log.runnerID) ?? 0) >= commit.id }
        // One commit reaches the group whole, or not at all; should part of it have (an
        // error for some partitions), the output is kept: repeating lines over losing them.
        if !reached.isEmpty {
            if reached.count < keys.count {
                logger.error(
                    "the last commit reached the group for only some partitions; lines of the others may be written again",
                    metadata: ["sink": "\(sink.id)", "commit": "\(commit.id)"])
            }
            landed = checkpoint
            landed.cluster = nil
            return
        }
        logger.warning(
            "the last commit did not reach the group; the output goes back to the commit before it",
            metadata: ["sink": "\(sink.id)", "commit": "\(commit.id)"])
        try cutBack()
    }

    /// Reopens the output at the last commit the group holds (a file is cut back to it),
    /// and writes that down before anything more is written.
    private func cutBack() throws {
        output.close()
        checkpoint = landed
        checkpoint.group = sink.group
        output = try Self.makeOutput(setup, log: log, saved: landed, checkpointPath: checkpointPath)
        var settled = landed
        // No partitions: nothing waits for the group.
        settled.cluster = ClusterCommit(
            runner: log.runnerID, id: nextCommit - 1, partitions: [], previous: try JSONEncoder().encode(landed))
        try store.write(Array(try JSONEncoder().encode(settled)))
    }

    /// Carries the records of each partition through the transforms into the output.
    private func write(_ messages: [ConsumedMessage], owned: [KafkaTopicPartition: CommitLedger]) throws {
        var order: [KafkaTopicPartition] = []
        var byPartition: [KafkaTopicPartition: [ConsumedMessage]] = [:]
        for message in messages where owned[message.topicPartition] != nil {
            if byPartition[message.topicPartition] == nil { order.append(message.topicPartition) }
            byPartition[message.topicPartition, default: []].append(message)
        }
        for key in order {
            let messages = byPartition[key]!
            var batch: [PipelineRecord] = []
            batch.reserveCapacity(messages.count)
            var bytes = 0
            for message in messages {
                bytes += message.value.count
                // The value's bytes as they came: decoded only if a transform reads them.
                var record = PipelineRecord(message: message.value[...], timestamp: message.timestamp ?? 0, key: message.key, capacity: 8)
                record.origin = RecordOrigin(topic: key.topic, partition: Int(key.partition), offset: message.offset)
                if !message.headers.isEmpty { record.headers = message.headers.filter { $0.key != SourcePosition.header } }
                batch.append(record)
            }
            let result = try graph.process(consume batch, from: TopicPartition(topic: key.topic, partition: Int(key.partition)))
            for failure in result.failures where failure.onError != "drop" {
                setup.deadLetters.add(failure.record, reason: failure.reason, component: failure.transform)
            }
            try setup.deadLetters.flush()
            try output.write(result.records, checkpoint: &checkpoint)
            try setup.deadLetters.flush()
            let next = messages.last!.offset + 1
            checkpoint.offsets[TopicPartition(key)] = next
            dirty = true
            stats.add(received: result.records.count, sent: result.records.count, bytes: bytes, failedUpstream: result.failures.count)
            stats.tap.offer(result.records)
            progress.withLock { $0[key]?.written = next }
            moved.signal()
        }
    }

    /// Makes the output durable, writes the checkpoint, then commits the offsets of every
    /// partition this member owns to the group (a refusal is a fence).
    private func commit(_ consumer: RdKafkaConsumer, _ owned: inout [KafkaTopicPartition: CommitLedger]) throws {
        guard dirty else { return }
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for key in owned.keys {
            if let offset = checkpoint.offsets[TopicPartition(key)] { offsets[key] = offset }
        }
        guard !offsets.isEmpty else { return }
        try output.syncWork()()
        let id = nextCommit
        nextCommit += 1
        var pending = checkpoint
        pending.cluster = ClusterCommit(
            runner: log.runnerID, id: id, partitions: offsets.keys.sorted().map(\.description), previous: try JSONEncoder().encode(landed))
        try store.write(Array(try JSONEncoder().encode(pending)))
        var metadata: [KafkaTopicPartition: String] = [:]
        for key in offsets.keys {
            owned[key]!.record(log.runnerID, id)
            metadata[key] = owned[key]!.text
        }
        do {
            try consumer.commit(offsets, metadata: metadata)
        } catch let error as RdKafkaError where Self.refusedForGood.contains(error.code) {
            throw PipelineError(description: "sink '\(sink.id)': the cluster refuses its commits: \(error)")
        } catch {
            // It may still have reached the group: the next membership finds out.
            unresolved = pending.cluster
            logger.info(
                "partitions revoked",
                metadata: ["sink": "\(sink.id)", "partitions": "\(owned.keys.map(\.description).sorted())", "lost": "true"])
            throw Fenced(description: "the group refused the commit: \(error)")
        }
        landed = checkpoint
        landed.cluster = nil
        dirty = false
        progress.withLock { progress in
            for (key, offset) in offsets { progress[key]?.durable = offset }
        }
    }
}

extension TopicPartition {
    init(_ key: KafkaTopicPartition) { self.init(topic: key.topic, partition: Int(key.partition)) }
}

extension KafkaTopicPartition {
    /// Reads "topic/partition".
    init?(parsing text: String) {
        guard let slash = text.lastIndex(of: "/"), let partition = Int32(text[text.index(after: slash)...]) else { return nil }
        self.init(topic: String(text[..<slash]), partition: partition)
    }
}
