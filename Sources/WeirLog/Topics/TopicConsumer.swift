/// Reads a topic from a chosen position, alone or as a member of a consumer group,
/// and (in a group) commits what the caller has handled. `weir consume` is this.
public final class TopicConsumer: Sendable {
    public enum Start: Sendable, Equatable {
        case earliest
        case latest
        case offset(Int64)
        /// The first record whose timestamp (ms since the epoch) is at or after this.
        case timestamp(Int64)
    }

    public struct Options: Sendable {
        public var start: Start = .earliest
        public var partition: Int?
        public var group: String?
        public var maxRecords: Int?
        public var follow = false
        public var strategy: AssignmentStrategy = .range

        public init(
            start: Start = .earliest, partition: Int? = nil, group: String? = nil,
            maxRecords: Int? = nil, follow: Bool = false
        ) {
            self.start = start
            self.partition = partition
            self.group = group
            self.maxRecords = maxRecords
            self.follow = follow
        }
    }

    public let log: EmbeddedLog
    static let commitInterval = 10_000
    public let topic: Topic
    public let options: Options

    public init(log: EmbeddedLog, topic: String, options: Options) throws {
        self.log = log
        self.topic = try log.topic(topic)
        self.options = options
        if let partition = options.partition { _ = try self.topic.partition(partition) }
    }

    /// Visits records in offset order per partition, partition after partition, until
    /// the end of the log (or forever with `follow`, until the task is cancelled).
    ///
    /// - Parameters:
    ///   - visit: handles one record; the buffers are valid only during the call.
    ///   - handled: called before each commit; it must make the visited records durable
    ///     for the caller (flush its output), since the commit says they are done.
    /// - Returns: the number of records visited.
    @discardableResult
    public func run(
        _ visit: (String, Int, RecordView) throws -> Void,
        handled: () throws -> Void = {}
    ) async throws -> Int {
        var member = try options.group.map { try join(group: $0, memberID: nil) }
        defer {
            if let member { log.groups.leave(group: member.group, memberID: member.memberID) }
        }
        var readers = try makeReaders(member)
        var total = 0
        let limit = options.maxRecords ?? .max
        reading: while true {
            for i in readers.indices {
                let end = try readers[i].partition.endOffset
                let partitionID = readers[i].partition.id
                // Commit every `commitInterval` records, so a long read resumes near where it stopped.
                while readers[i].position < end && total < limit {
                    let count = try readers[i].read(upTo: end, limit: min(limit - total, Self.commitInterval)) { view in
                        try visit(topic.name, partitionID, view)
                        return true
                    }
                    total += count
                    if count == 0 { break }
                    guard let current = member else { continue }
                    try handled()
                    let key = TopicPartition(topic: topic.name, partition: partitionID)
                    if let moved = try commit(current, [key: readers[i].position]) {
                        // The group rebalanced: read what this member owns now, from the committed offsets.
                        member = moved
                        readers = try makeReaders(moved, keeping: readers)
                        continue reading
                    }
                }
            }
            try handled()
            guard options.follow, total < limit, !Task.isCancelled else { break }
            await waitForAny(readers)
            if Task.isCancelled { break }
            if let current = member, let moved = try heartbeat(current) {
                member = moved
                readers = try makeReaders(moved, keeping: readers)
            }
        }
        return total
    }

    private func join(group: String, memberID: String?) throws -> GroupMembership {
        try log.groups.join(
            group: group, memberID: memberID, topics: [topic.name],
            partitionCounts: [topic.name: topic.partitions.count], strategy: options.strategy)
    }

    /// Commits; returns the new membership if the group moved to another generation
    /// (then the commit was refused and the records will be read again by their owner).
    private func commit(_ member: GroupMembership, _ offsets: [TopicPartition: Int64]) throws -> GroupMembership? {
        do {
            try log.groups.commit(group: member.group, memberID: member.memberID, generation: member.generation, offsets: offsets)
        } catch WeirLogError.staleGeneration, WeirLogError.partitionNotAssigned {
            return try heartbeat(member) ?? member
        } catch WeirLogError.unknownGroupMember {
            return try join(group: member.group, memberID: member.memberID)
        }
        return try heartbeat(member)
    }

    /// Heartbeats; returns the new membership when the generation changed, rejoining if
    /// the session had expired.
    private func heartbeat(_ member: GroupMembership) throws -> GroupMembership? {
        do {
            let now = try log.groups.heartbeat(group: member.group, memberID: member.memberID)
            return now.generation == member.generation ? nil : now
        } catch WeirLogError.unknownGroupMember {
            return try join(group: member.group, memberID: member.memberID)
        }
    }

    /// Readers for what `membership` owns. A partition this member already read keeps its
    /// position (it may be ahead of the last commit); a new one starts at the group's
    /// committed offset or the start option.
    private func makeReaders(_ membership: GroupMembership?, keeping current: [PartitionReader] = []) throws -> [PartitionReader] {
        try assignedPartitions(membership).map { partition in
            if let kept = current.first(where: { $0.partition.id == partition.id }) { return kept }
            return PartitionReader(partition: partition, from: try startOffset(partition))
        }
    }

    private func assignedPartitions(_ membership: GroupMembership?) throws -> [Partition] {
        guard let membership else {
            return try options.partition.map { [try topic.partition($0)] } ?? topic.partitions
        }
        let owned = try membership.assignment.filter { $0.topic == topic.name }.map { try topic.partition($0.partition) }
        return options.partition.map { wanted in owned.filter { $0.id == wanted } } ?? owned
    }

    private func startOffset(_ partition: Partition) throws -> Int64 {
        if let group = options.group, let committed = try log.committedPosition(group: group, partition: partition) {
            return committed
        }
        switch options.start {
        case .earliest: return try partition.startOffset
        case .latest: return try partition.endOffset
        case .timestamp(let timestamp):
            return try partition.offset(forTimestamp: timestamp)
        case .offset(let offset):
            let (start, end) = (try partition.startOffset, try partition.endOffset)
            guard offset >= start, offset <= end else {
                throw WeirLogError.offsetOutOfRange(topic: topic.name, partition: partition.id, offset: offset, start: start, end: end)
            }
            return offset
        }
    }

    /// Waits until any reader's partition has data past its position, or 3 s pass
    /// (so a group member heartbeats), or the task is cancelled.
    private func waitForAny(_ readers: [PartitionReader]) async {
        await Partition.waitForData(readers, until: .now + .seconds(3))
    }
}
