import SystemPackage

/// Checks a data directory without changing it: every batch's length, magic, CRC,
/// offset continuity and records, and every index entry against the batches.
///
/// It takes the directory lock, so it never races a writer, but it does not recover:
/// damage a crash left is reported, not repaired (opening the log repairs it).
public struct LogVerifier {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var position: Int64
        public var reason: String
        public var description: String { "\(file) at byte \(position): \(reason)" }
    }

    public struct Report: Sendable {
        public var problems: [Problem] = []
        public var segments = 0
        public var batches = 0
        public var records = 0
        public var bytes: Int64 = 0
    }

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Verifies every topic, or only `topic`.
    public func verify(topic: String? = nil) throws -> Report {
        let lock = try DirectoryLock(directory: directory)
        defer { withExtendedLifetime(lock) {} }
        let topicsDirectory = directory + "/topics"
        let names: [String]
        if let topic {
            try TopicName.validate(topic)
            guard FileSystem.isDirectory(topicsDirectory + "/" + topic) else { throw WeirLogError.unknownTopic(topic) }
            names = [topic]
        } else {
            names = FileSystem.isDirectory(topicsDirectory) ? try FileSystem.listDirectory(topicsDirectory) : []
        }
        var report = Report()
        // Only topics: a `<name>~creating` or `~deleting-` leftover is removed at the next open.
        for name in names where (try? TopicName.validate(name)) != nil {
            let topicDirectory = topicsDirectory + "/" + name
            guard FileSystem.isDirectory(topicDirectory) else { continue }
            for entry in try FileSystem.listDirectory(topicDirectory) where Int(entry) != nil {
                try verifyPartition(topicDirectory + "/" + entry, into: &report)
            }
        }
        return report
    }

    private func verifyPartition(_ directory: String, into report: inout Report) throws {
        let bases = try FileSystem.listDirectory(directory).compactMap(Segment.baseOffset(ofLogFile:)).sorted()
        var expected: Int64?
        for base in bases {
            report.segments += 1
            let path = directory + "/" + Segment.fileName(base, ".log")
            if let expected, expected != base {
                report.problems.append(
                    Problem(file: path, position: 0, reason: "segment starts at offset \(base), but the previous one ends at \(expected)"))
            }
            let fd = try FileSystem.open(path, .readOnly)
            defer { try? fd.close() }
            let size = try FileSystem.fileSize(path)
            var batches: [Int64: RecordBatchHeader] = [:]
            var scanner = SegmentScanner(fd: fd, path: path, expectedBaseOffset: base)
            let end = try scanner.scan(from: 0, to: size) { position, header, bytes in
                batches[position] = header
                report.batches += 1
                report.bytes += Int64(header.totalSize)
                do {
                    var count = 0
                    try RecordBatch(parsing: bytes).forEachRecord { view in
                        guard view.offset == header.baseOffset + Int64(count) else {
                            throw RecordBatchError.malformedRecords("record \(count) has offset \(view.offset)")
                        }
                        count += 1
                    }
                    report.records += count
                } catch {
                    report.problems.append(Problem(file: path, position: position, reason: "\(error)"))
                }
                return true
            }
            if case .damaged(let position, let reason) = end {
                report.problems.append(Problem(file: path, position: position, reason: reason))
            }
            expected = scanner.expectedBaseOffset
            try verifyOffsetIndex(directory + "/" + Segment.fileName(base, ".index"), base: base, batches: batches, into: &report)
            try verifyTimeIndex(directory + "/" + Segment.fileName(base, ".timeindex"), base: base, batches: batches, into: &report)
        }
    }

    private func verifyOffsetIndex(_ path: String, base: Int64, batches: [Int64: RecordBatchHeader], into report: inout Report) throws {
        guard FileSystem.exists(path) else {
            report.problems.append(Problem(file: path, position: 0, reason: "offset index is missing"))
            return
        }
        let bytes = try FileSystem.readWholeFile(path)
        if bytes.count % OffsetIndex.entrySize != 0 {
            report.problems.append(Problem(file: path, position: Int64(bytes.count), reason: "size \(bytes.count) is not a multiple of 8"))
        }
        var previous: (Int32, Int32)?
        bytes.withUnsafeBytes { raw in
            for i in 0..<(raw.count / 8) {
                let relative = Int32(bigEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int32.self))
                let position = Int32(bigEndian: raw.loadUnaligned(fromByteOffset: i * 8 + 4, as: Int32.self))
                let at = Int64(i * 8)
                if let (lastOffset, lastPosition) = previous, relative <= lastOffset || position <= lastPosition {
                    report.problems.append(
                        Problem(file: path, position: at, reason: "entry (offset +\(relative), position \(position)) does not increase"))
                } else if let batch = batches[Int64(position)] {
                    let offset = base + Int64(relative)
                    if offset < batch.baseOffset || offset > batch.lastOffset {
                        report.problems.append(
                            Problem(
                                file: path, position: at,
                                reason:
                                    "offset \(offset) is not in the batch at position \(position) (offsets \(batch.baseOffset)…\(batch.lastOffset))"
                            ))
                    }
                } else {
                    report.problems.append(
                        Problem(file: path, position: at, reason: "position \(position) is not the start of a valid batch"))
                }
                previous = (relative, position)
            }
        }
    }

    private func verifyTimeIndex(_ path: String, base: Int64, batches: [Int64: RecordBatchHeader], into report: inout Report) throws {
        guard FileSystem.exists(path) else {
            report.problems.append(Problem(file: path, position: 0, reason: "time index is missing"))
            return
        }
        let bytes = try FileSystem.readWholeFile(path)
        if bytes.count % TimeIndex.entrySize != 0 {
            report.problems.append(Problem(file: path, position: Int64(bytes.count), reason: "size \(bytes.count) is not a multiple of 12"))
        }
        let lastOffset = batches.values.map(\.lastOffset).max() ?? base - 1
        var previous: (Int64, Int32)?
        bytes.withUnsafeBytes { raw in
            for i in 0..<(raw.count / 12) {
                let timestamp = Int64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 12, as: Int64.self))
                let relative = Int32(bigEndian: raw.loadUnaligned(fromByteOffset: i * 12 + 8, as: Int32.self))
                let at = Int64(i * 12)
                if let (lastTimestamp, lastRelative) = previous, timestamp < lastTimestamp || relative <= lastRelative {
                    report.problems.append(
                        Problem(file: path, position: at, reason: "entry (timestamp \(timestamp), offset +\(relative)) does not increase"))
                } else if relative < 0 || base + Int64(relative) > lastOffset {
                    report.problems.append(
                        Problem(
                            file: path, position: at,
                            reason: "offset \(base + Int64(relative)) is beyond the segment's last offset \(lastOffset)"))
                }
                previous = (timestamp, relative)
            }
        }
    }
}
