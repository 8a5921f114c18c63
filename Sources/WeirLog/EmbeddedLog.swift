import Dispatch
public import Logging
import Synchronization

/// The embedded log: one data directory of topics and consumer groups, owned by one
/// process at a time.
///
/// ```
/// <data dir>/.lock                 flock + owner PID
/// <data dir>/.clean-shutdown       present only between a clean close and the next open
/// <data dir>/.unrecovered-partitions  instead of it, when partitions an unclean stop left
///                                  were not used (so not recovered) before the clean close:
///                                  one <topic>/<partition> a line, recovered on first use
///                                  (`UnrecoveredList`; valid only with the lock's stamp)
/// <data dir>/topics/<topic>/topic.json
/// <data dir>/topics/<topic>/<partition>/<20-digit base offset>.log|.index|.timeindex
/// <data dir>/topics/~staging/<topic>, ~deleting/<incarnation>   only while a topic is
///                                  created or deleted ('~' is in no topic name); emptied at open
/// <data dir>/groups/<group>.json   committed offsets, replaced atomically
/// ```
public final class EmbeddedLog: Sendable {
    public let directory: String
    public let groups: GroupCoordinator
    /// True when the previous owner did not close the log cleanly, so each partition is
    /// recovered before its first use.
    public let recoveredFromUncleanShutdown: Bool
    /// Committed group offsets found beyond their partition's end at open, and clamped
    /// (checked where a stop may have lost data: partitions not yet recovered).
    public let clampedOffsets: [ClampedOffset]
    let logger: Logger
    private let lock: DirectoryLock
    private let topics: TopicTable
    private let flusher: BackgroundTimer
    private let closed = Mutex(false)
    /// Set when something left data this process cannot vouch for (a topic whose delete
    /// failed half way): the close then marks nothing, and the next open recovers all.
    private let leftUnclean = Atomic<Bool>(false)

    static let cleanShutdownMarker = ".clean-shutdown"

    /// Opens (creating if needed) the data directory: topic configurations only. Each
    /// partition's files are opened on its first use, and recovered then if the last stop
    /// left it unclean. Throws `directoryLocked` if another process owns it.
    public init(directory: String, logger: Logger = Logger(label: "weir.log")) throws {
        self.directory = directory
        self.logger = logger
        try FileSystem.createDirectories(directory + "/topics")
        try FileSystem.createDirectories(directory + "/groups")
        lock = try DirectoryLock(directory: directory)

        let marker = directory + "/" + Self.cleanShutdownMarker
        let unrecoveredList = directory + "/" + UnrecoveredList.fileName
        // Which partitions the last stop left unclean: none, those listed, or all (nil).
        let unrecovered: Set<TopicPartition>?
        if FileSystem.exists(marker) {
            unrecovered = []
        } else if let listed = try? FileSystem.readWholeFile(unrecoveredList),
            let parsed = UnrecoveredList.decode(listed, token: lock.previousCloseToken)
        {
            unrecovered = parsed
        } else {
            unrecovered = nil
        }
        let hasData = try FileSystem.listDirectory(directory + "/topics").contains { (try? TopicName.validate($0)) != nil }
        recoveredFromUncleanShutdown = unrecovered == nil && hasData
        if recoveredFromUncleanShutdown {
            logger.warning(
                "data directory was not closed cleanly; each partition is checked batch by batch from its recovery point before its first use",
                metadata: ["directory": "\(directory)"])
        } else if let unrecovered, !unrecovered.isEmpty {
            logger.info(
                "partitions an earlier unclean stop left are recovered before their first use",
                metadata: ["directory": "\(directory)", "partitions": "\(unrecovered.count)"])
        }
        // From here on, a crash must count as unclean.
        try FileSystem.remove(marker)
        try FileSystem.remove(unrecoveredList)
        try FileSystem.fsyncDirectory(directory)

        var opened: [String: Topic] = [:]
        for name in try FileSystem.listDirectory(directory + "/topics") {
            let topicDirectory = directory + "/topics/" + name
            if Self.removeUnfinished(name, in: directory + "/topics", logger: logger) { continue }
            guard (try? TopicName.validate(name)) != nil, FileSystem.exists(topicDirectory + "/" + Topic.configFile) else {
                continue
            }
            let config = try Topic.readConfig(topicDirectory)
            let topic = try Topic(
                name: name, directory: topicDirectory, config: config,
                clean: { id in unrecovered.map { !$0.contains(TopicPartition(topic: name, partition: id)) } ?? false },
                logger: logger)
            opened[name] = topic
        }
        topics = TopicTable(opened)

        let store = try OffsetStore(directory: directory + "/groups")
        var clamped: [ClampedOffset] = []
        for (group, offsets) in store.all() {
            for (key, committed) in offsets {
                // A clean stop loses nothing, so only a partition not yet recovered can have
                // lost what a group committed (checking it opens and recovers it).
                guard let topic = opened[key.topic], key.partition < topic.partitions.count,
                    topic.partitions[key.partition].awaitsRecovery
                else { continue }
                let end: Int64
                do {
                    end = try topic.partitions[key.partition].endOffset
                } catch {
                    // Left as committed: reading the partition reports why it cannot be.
                    logger.error(
                        "could not open a partition to check a group's committed offset",
                        metadata: ["group": "\(group)", "partition": "\(key.topic)/\(key.partition)", "error": "\(error)"])
                    continue
                }
                if committed > end {
                    clamped.append(ClampedOffset(group: group, topic: key.topic, partition: key.partition, committed: committed, end: end))
                    logger.warning(
                        "committed offset is beyond the log end (data lost before it was flushed?); clamping",
                        metadata: [
                            "group": "\(group)", "partition": "\(key.topic)/\(key.partition)",
                            "committed": "\(committed)", "end": "\(end)",
                        ])
                    try store.commit(group: group, offsets: [key: end])
                }
            }
        }
        clampedOffsets = clamped
        groups = GroupCoordinator(store: store)

        let flushing = topics
        let timerLogger = logger
        flusher = BackgroundTimer(label: "weir.log.flusher", intervalMillis: 100) {
            let now = currentTimeMillis()
            let all = flushing.table.withLock { Array($0.values) }
            for partition in all.flatMap(\.partitions) {
                do {
                    try partition.performDueWork(now: now)
                } catch {
                    timerLogger.error(
                        "background flush or retention failed",
                        metadata: ["partition": "\(partition.topic)/\(partition.id)", "error": "\(error)"])
                }
            }
        }
    }

    deinit {
        try? close()
    }

    // MARK: Topics

    public func createTopic(_ name: String, config: TopicConfig = TopicConfig()) throws -> Topic {
        try TopicName.validate(name)
        try config.validate()
        return try topics.table.withLock { topics in
            let topicsDirectory = directory + "/topics"
            let topicDirectory = topicsDirectory + "/" + name
            guard topics[name] == nil, !FileSystem.exists(topicDirectory) else { throw WeirLogError.topicExists(name) }
            // The configuration and incarnation are written under a name no topic can have,
            // then renamed into place: a crash leaves either no topic or a whole one.
            try FileSystem.createDirectories(topicsDirectory + "/" + Self.stagingDirectory)
            let staging = topicsDirectory + "/" + Self.stagingDirectory + "/" + name
            if FileSystem.exists(staging) { try FileSystem.removeTree(staging) }
            try FileSystem.createDirectory(staging)
            try Topic.writeConfig(config, to: staging)
            try Topic.writeIncarnation(to: staging)
            try Topic.createPartitions(config.partitions, in: staging)
            try FileSystem.fsyncDirectory(staging)
            try FileSystem.rename(staging, topicDirectory)
            try FileSystem.fsyncDirectory(topicsDirectory)
            let topic = try Topic(name: name, directory: topicDirectory, config: config, clean: { _ in true }, logger: logger)
            topics[name] = topic
            return topic
        }
    }

    /// Where a topic is made before it is renamed into place, and where a deleted one goes
    /// before its files are removed: names no topic can have.
    static let stagingDirectory = "~staging"
    static let deletingDirectory = "~deleting"

    /// Removes `name` from the topics directory if it is what a create or delete left when
    /// a process died (the staging or deleting directory), or a directory an older Weir
    /// left with no configuration and no partitions. Returns true when it was one of them
    /// (a failed removal is a warning: the next open tries again).
    private static func removeUnfinished(_ name: String, in topicsDirectory: String, logger: Logger) -> Bool {
        let path = topicsDirectory + "/" + name
        if name == stagingDirectory || name == deletingDirectory {
            guard !((try? FileSystem.listDirectory(path)) ?? []).isEmpty else { return true }
        } else {
            guard (try? TopicName.validate(name)) != nil, FileSystem.isDirectory(path),
                !FileSystem.exists(path + "/" + Topic.configFile),
                let contents = try? FileSystem.listDirectory(path),
                contents.allSatisfy({ !FileSystem.isDirectory(path + "/" + $0) })
            else { return false }
        }
        logger.warning("removing what an unfinished topic create or delete left", metadata: ["path": "\(path)"])
        do {
            if name == stagingDirectory || name == deletingDirectory {
                for entry in try FileSystem.listDirectory(path) { try FileSystem.removeTree(path + "/" + entry) }
                try FileSystem.fsyncDirectory(path)
            } else {
                try FileSystem.removeTree(path)
                try FileSystem.fsyncDirectory(topicsDirectory)
            }
        } catch {
            logger.warning("could not remove it", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        return true
    }

    public func topic(_ name: String) throws -> Topic {
        try TopicName.validate(name)
        guard let topic = topics.table.withLock({ $0[name] }) else { throw WeirLogError.unknownTopic(name) }
        return topic
    }

    public var topicNames: [String] { topics.table.withLock { $0.keys.sorted() } }

    /// Deletes a topic, its data and every group's committed offsets for it.
    public func deleteTopic(_ name: String) throws {
        try TopicName.validate(name)
        let topic = try topics.table.withLock { topics -> Topic in
            guard let topic = topics.removeValue(forKey: name) else { throw WeirLogError.unknownTopic(name) }
            return topic
        }
        do {
            try topic.close()
            // Renamed away first, so that a crash while the tree is removed cannot leave half
            // a topic under its name: the next open removes what is left.
            try FileSystem.createDirectories(directory + "/topics/" + Self.deletingDirectory)
            let doomed = directory + "/topics/" + Self.deletingDirectory + "/" + topic.incarnation
            try FileSystem.rename(topic.directory, doomed)
            try FileSystem.fsyncDirectory(directory + "/topics")
        } catch {
            // The topic may still be on disk, out of the table `close` walks: this stop
            // cannot vouch for it, so it is not marked clean.
            leftUnclean.store(true, ordering: .releasing)
            throw error
        }
        let doomed = directory + "/topics/" + Self.deletingDirectory + "/" + topic.incarnation
        try FileSystem.removeTree(doomed)
        try groups.forgetTopic(name)
    }

    // MARK: Groups

    /// Every partition of the group's topics (those it committed offsets for, and those
    /// its live members read), committed or not: the committed offset, the end offset and
    /// the lag, counted from the partition's start offset where nothing readable was
    /// committed (a member would start there).
    public func describeGroup(_ group: String) throws -> [GroupPartitionState] {
        let committed = groups.committedOffsets(group: group)
        let names = Set(committed.keys.map(\.topic)).union(groups.subscribedTopics(group: group))
        return try names.sorted().flatMap { name in
            try topic(name).partitions.map { partition in
                let offset = committed[TopicPartition(topic: name, partition: partition.id)]
                let (start, end) = (try partition.startOffset, try partition.endOffset)
                let from = max(offset ?? start, start)
                return GroupPartitionState(
                    topic: name, partition: partition.id, committed: offset, end: end, lag: max(0, end - from))
            }
        }
    }

    /// Where a group member starts reading `partition`: its committed offset, or the reset
    /// policy's choice when there is none or it fell below the log start (retention).
    public func startOffset(group: String, partition: Partition, reset: OffsetResetPolicy) throws -> Int64 {
        if let committed = try committedPosition(group: group, partition: partition) { return committed }
        switch reset {
        case .earliest: return try partition.startOffset
        case .latest: return try partition.endOffset
        case .error: throw WeirLogError.noCommittedOffset(group: group, topic: partition.topic, partition: partition.id)
        }
    }

    /// The group's committed offset for `partition` if it is still readable (not below
    /// the start offset, which retention may have moved past it), capped at the end.
    public func committedPosition(group: String, partition: Partition) throws -> Int64? {
        let key = TopicPartition(topic: partition.topic, partition: partition.id)
        guard let committed = groups.committedOffsets(group: group)[key], try committed >= partition.startOffset else { return nil }
        return min(committed, try partition.endOffset)
    }

    // MARK: Shutdown

    /// Flushes every partition appended to, writes their recovery points, and marks the
    /// stop clean: the clean-shutdown marker, or, when partitions an unclean stop left were
    /// never used (so never recovered), the list of them, which the next open recovers on
    /// first use. If a partition fails to close, nothing is marked: the next open recovers.
    public func close() throws {
        let alreadyClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        flusher.cancel()
        let all = topics.table.withLock { Array($0.values) }
        var failure: (any Error)?
        var unrecovered: [TopicPartition] = []
        for topic in all {
            do {
                unrecovered += try topic.close().map { TopicPartition(topic: topic.name, partition: $0) }
            } catch {
                failure = failure ?? error
            }
        }
        if let failure {
            lock.release()
            throw failure
        }
        if leftUnclean.load(ordering: .acquiring) {
            logger.warning("a topic delete failed in this run; the next open recovers every partition")
            return lock.release()
        }
        if unrecovered.isEmpty {
            try FileSystem.writeAtomically(directory + "/" + Self.cleanShutdownMarker, Array("clean\n".utf8))
        } else {
            let token = String(UInt64.random(in: 1...UInt64.max), radix: 16)
            try FileSystem.writeAtomically(directory + "/" + UnrecoveredList.fileName, UnrecoveredList.encode(unrecovered, token: token))
            try lock.stampClose(token: token)
        }
        lock.release()
    }
}

/// A committed offset found beyond the end of its partition at open.
public struct ClampedOffset: Sendable, Hashable {
    public var group: String
    public var topic: String
    public var partition: Int
    public var committed: Int64
    public var end: Int64
}

/// One row of `weir groups describe`.
public struct GroupPartitionState: Sendable, Hashable {
    public var topic: String
    public var partition: Int
    /// Nil when the group never committed this partition.
    public var committed: Int64?
    public var end: Int64
    public var lag: Int64

    public init(topic: String, partition: Int, committed: Int64?, end: Int64, lag: Int64) {
        self.topic = topic
        self.partition = partition
        self.committed = committed
        self.end = end
        self.lag = lag
    }
}

/// Where a group starts a partition it has no usable committed offset for.
public enum OffsetResetPolicy: String, Sendable, CaseIterable {
    case earliest, latest, error
}

/// The open topics, shared with the housekeeping timer.
private final class TopicTable: Sendable {
    let table: Mutex<[String: Topic]>

    init(_ topics: [String: Topic]) { table = Mutex(topics) }
}
