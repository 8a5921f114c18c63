import Foundation
public import WeirLog

/// `weir consume --group` through a broker: what the local `TopicConsumer` does in a group,
/// as a Kafka group member.
extension RemoteGroupMember {
    /// Visits the records of `topic`'s partitions this member is assigned (only `partition`
    /// of them, if given), each from the group's committed offset (else `start`), partition
    /// after partition, up to the end seen when it got there; with `follow`, on as records
    /// come until `stopRequested`. It commits what it visited after each fetch (once
    /// `handled` made it durable for the caller), heartbeats every few seconds, rejoins when
    /// the group rebalances (then reads what it owns from the committed offsets), and
    /// leaves the group at the end, also when it fails.
    ///
    /// - Returns: the number of records visited.
    @discardableResult
    public func consume(
        topic: String, partition wanted: Int?, from start: TopicConsumer.Start, max: Int?, follow: Bool,
        stopRequested: () -> Bool = { false },
        _ visit: (Int, Int64, RecordView) throws -> Void, handled: () throws -> Void
    ) throws -> Int {
        let count = try broker.partitionCount(topic)
        if let wanted, !(0..<count).contains(wanted) {
            throw Failure(description: "topic '\(topic)' has \(count) partitions; there is no partition \(wanted)")
        }
        defer { leave() }
        let limit = max ?? .max
        var total = 0
        var positions = try positionsAfterJoining(topic: topic, partition: wanted, start: start)
        reading: while total < limit && !stopRequested() {
            for id in positions.keys.sorted() {
                let end = try broker.offset(topic, partition: id, timestamp: ListOffsetsAPI.latestTimestamp)
                while let position = positions[id], position < end, total < limit, !stopRequested() {
                    let (next, count) = try broker.read(topic, partition: id, from: position, limit: limit - total) { offset, record in
                        try visit(id, offset, record)
                    }
                    if next == position { break }
                    positions[id] = next
                    total += count
                    try handled()
                    let accepted = try commit([TopicPartition(topic: topic, partition: id): next])
                    if try !accepted || heartbeatIfDue() {
                        positions = try rejoin(topic: topic, partition: wanted, start: start, positions: positions)
                        continue reading
                    }
                }
            }
            try handled()
            guard follow else { break }
            if positions.isEmpty {
                Thread.sleep(forTimeInterval: 1)
            } else {
                try broker.waitForData(topic, positions: positions, maxWaitMs: 1000)
            }
            if try heartbeatIfDue() { positions = try rejoin(topic: topic, partition: wanted, start: start, positions: positions) }
        }
        _ = try commit(committable(topic, positions))
        return total
    }

    /// Commits what was read, rejoins, and reads the new assignment from the committed offsets.
    private func rejoin(topic: String, partition: Int?, start: TopicConsumer.Start, positions: [Int: Int64]) throws -> [Int: Int64] {
        _ = try commit(committable(topic, positions))
        return try positionsAfterJoining(topic: topic, partition: partition, start: start)
    }

    private func committable(_ topic: String, _ positions: [Int: Int64]) -> [TopicPartition: Int64] {
        guard generation >= 0, !memberID.isEmpty else { return [:] }
        return Dictionary(uniqueKeysWithValues: positions.map { (TopicPartition(topic: topic, partition: $0.key), $0.value) })
    }

    /// Joins, then where each assigned partition is to be read from: the group's committed
    /// offset, or `start` where there is none (or it is before the partition's start).
    private func positionsAfterJoining(topic: String, partition wanted: Int?, start: TopicConsumer.Start) throws -> [Int: Int64] {
        let owned = try join().filter { $0.topic == topic && (wanted == nil || $0.partition == wanted) }
        let committed = try committed(owned)
        var positions: [Int: Int64] = [:]
        for key in owned {
            if let offset = committed[key],
                offset >= (try broker.offset(topic, partition: key.partition, timestamp: ListOffsetsAPI.earliestTimestamp))
            {
                positions[key.partition] = offset
            } else {
                positions[key.partition] = try broker.offset(topic, partition: key.partition, at: start)
            }
        }
        return positions
    }
}
