import Logging

/// Opens a partition's segments from its directory, on the partition's first use.
///
/// After an unclean stop (`recover`) every segment from the recovery point on is checked
/// batch by batch, torn tails are cut, and later segments are deleted. After a clean one
/// the indexes are trusted and only each segment's tail is read; nothing is written
/// unless the files disagree.
enum PartitionOpener {
    /// The partition as found on disk.
    struct Opened {
        /// Never empty: an empty directory gets a first segment at offset 0.
        var segments: [Segment]
        var damage: [Partition.Damage]
        /// The offset in the `recovery-point` file, 0 when there is none.
        var recoveryPoint: Int64
    }

    static func open(directory: String, recover: Bool, logger: Logger) throws -> Opened {
        let names = try FileSystem.listDirectory(directory)
        for name in names where name.hasSuffix(".tmp") { try FileSystem.remove(directory + "/" + name) }
        let bases = names.compactMap(Segment.baseOffset(ofLogFile:)).sorted()
        let recoveryPoint = readRecoveryPoint(directory)
        let recoverFrom = bases.last(where: { $0 <= recoveryPoint }) ?? 0

        var segments: [Segment] = []
        var damage: [Partition.Damage] = []
        var stale: [Int64] = []
        for (i, base) in bases.enumerated() {
            let before = try FileSystem.fileSize(directory + "/" + Segment.fileName(base, ".log"))
            let (segment, found) = try Segment.open(directory: directory, baseOffset: base, recover: recover && base >= recoverFrom)
            segments.append(segment)
            if case .damaged(let position, let reason) = found {
                damage.append(Partition.Damage(file: segment.path, position: position, reason: reason, bytesDropped: before - position))
                stale = Array(bases[(i + 1)...])
                break
            }
        }
        for base in stale {
            let path = directory + "/" + Segment.fileName(base, ".log")
            damage.append(
                Partition.Damage(
                    file: path, position: 0, reason: "follows a damaged segment",
                    bytesDropped: (try? FileSystem.fileSize(path)) ?? 0))
            for suffix in [".log", ".index", ".timeindex"] {
                try FileSystem.remove(directory + "/" + Segment.fileName(base, suffix))
            }
        }
        // An empty segment left behind a damaged one would break offset continuity.
        while segments.count > 1, segments[segments.count - 1].isEmpty,
            segments[segments.count - 1].baseOffset != segments[segments.count - 2].nextOffset
        {
            try segments.removeLast().delete()
        }
        if segments.isEmpty {
            segments.append(try Segment.create(directory: directory, baseOffset: 0))
        }
        if !stale.isEmpty || segments.count != bases.count { try FileSystem.fsyncDirectory(directory) }
        for problem in damage {
            logger.warning(
                "recovered a damaged log tail",
                metadata: [
                    "file": "\(problem.file)", "position": "\(problem.position)",
                    "reason": "\(problem.reason)", "bytes_dropped": "\(problem.bytesDropped)",
                ])
        }
        // What survived the last process is on disk from here on, so it may be served.
        if recover { try segments[segments.count - 1].fsyncLog() }
        return Opened(segments: segments, damage: damage, recoveryPoint: recoveryPoint)
    }

    private static func readRecoveryPoint(_ directory: String) -> Int64 {
        guard let bytes = try? FileSystem.readWholeFile(directory + "/" + Partition.recoveryPointFile) else { return 0 }
        return Int64(String(decoding: bytes, as: UTF8.self).trimmingWhitespace()) ?? 0
    }
}
