import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

@Suite("Recovery from torn tails and corruption")
struct RecoveryTests {
    /// A pristine data directory: one partition, `batches` batches of 7 records each,
    /// one segment. Returns the record count after each batch and each batch's start.
    struct Pristine {
        let directory = TemporaryDirectory()
        var batchStarts: [Int64] = []
        var records: [Record] = []
        var segment: String { directory.path + "/topics/t/0/00000000000000000000.log" }
        var segmentSize: Int64 = 0

        init(codec: CompressionCodec, batches: Int = 60) throws {
            let log = try EmbeddedLog(directory: directory.path)
            let topic = try log.createTopic("t", config: TopicConfig(partitions: 1, compression: codec, flush: .pagecache))
            // Recent timestamps: the default 7-day retention would delete older segments.
            let now = currentTimeMillis()
            for b in 0..<batches {
                batchStarts.append(try topic.partitions[0].sizeInBytes)
                let batch = (0..<7).map {
                    Record(
                        value: bytes("batch \(b) record \($0) " + String(repeating: "z", count: (b * 13 + $0) % 90)),
                        timestamp: now + Int64(b))
                }
                try topic.append(batch, partition: 0)
                records += batch
            }
            segmentSize = try topic.partitions[0].sizeInBytes
            try log.close()
        }

        /// A copy of the data directory, as if the process had crashed (no clean marker).
        func crashedCopy() throws -> TemporaryDirectory {
            let copy = TemporaryDirectory()
            try FileManager.default.removeItem(atPath: copy.path)
            try FileManager.default.copyItem(atPath: directory.path, toPath: copy.path)
            try FileManager.default.removeItem(atPath: copy.path + "/" + EmbeddedLog.cleanShutdownMarker)
            return copy
        }

        /// How many whole batches lie before byte `position`.
        func batchesBefore(_ position: Int64) -> Int {
            var count = 0
            for (i, start) in batchStarts.enumerated() {
                let end = i + 1 < batchStarts.count ? batchStarts[i + 1] : segmentSize
                if end <= position {
                    count = i + 1
                } else {
                    _ = start
                    break
                }
            }
            return count
        }
    }

    /// Opens `directory`, checks that exactly the first `batches` batches are served,
    /// that verify passes, and that appends continue densely.
    func expectRecovered(_ directory: String, pristine: Pristine, batches: Int) throws {
        let log = try EmbeddedLog(directory: directory)
        #expect(log.recoveredFromUncleanShutdown)
        let topic = try log.topic("t")
        let kept = Array(pristine.records[0..<(batches * 7)])
        let all = try readAll(topic)
        #expect(all.map(\.record) == kept)
        #expect(all.map(\.offset) == Array(0..<Int64(kept.count)))
        #expect(try topic.partitions[0].endOffset == Int64(kept.count))
        let extra = [Record(value: bytes("after recovery"), timestamp: currentTimeMillis())]
        let result = try topic.append(extra, partition: 0)
        #expect(result.first?.baseOffset == Int64(kept.count))
        try log.close()
        let report = try LogVerifier(directory: directory).verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.records == kept.count + 1)
    }

    @Test("a segment cut at random byte positions recovers to the last whole batch", arguments: CompressionCodec.allCases)
    func randomCuts(codec: CompressionCodec) throws {
        let pristine = try Pristine(codec: codec)
        var random = SeededGenerator(seed: UInt64(17 + codec.rawValue))
        var cuts = (0..<25).map { _ in Int64.random(in: 0..<pristine.segmentSize, using: &random) }
        cuts += [1, 60, 61, pristine.batchStarts[5], pristine.batchStarts[5] + 1, pristine.segmentSize - 1]
        for cut in cuts {
            let copy = try pristine.crashedCopy()
            let segment = copy.path + "/topics/t/0/00000000000000000000.log"
            #expect(truncate(segment, off_t(cut)) == 0)
            let wholeBatches = pristine.batchesBefore(cut)
            let torn = !pristine.batchStarts.contains(cut)
            if torn {
                // Before recovery, verify names the file and the byte where the torn batch starts.
                let report = try LogVerifier(directory: copy.path).verify()
                let expectedPosition = pristine.batchStarts[wholeBatches]
                #expect(
                    report.problems.contains { $0.file == segment && $0.position == expectedPosition },
                    "cut at \(cut): \(report.problems)")
            }
            try expectRecovered(copy.path, pristine: pristine, batches: wholeBatches)
        }
    }

    @Test("a flipped byte inside a batch drops that batch and everything after it", arguments: CompressionCodec.allCases)
    func flippedBytes(codec: CompressionCodec) throws {
        let pristine = try Pristine(codec: codec)
        var random = SeededGenerator(seed: UInt64(99 + codec.rawValue))
        for _ in 0..<20 {
            let batch = Int.random(in: 0..<pristine.batchStarts.count, using: &random)
            let start = pristine.batchStarts[batch]
            let end = batch + 1 < pristine.batchStarts.count ? pristine.batchStarts[batch + 1] : pristine.segmentSize
            // From the magic byte on: everything there is checked (the leader epoch before it is not covered by the CRC).
            let position = Int64.random(in: (start + 16)..<end, using: &random)
            let copy = try pristine.crashedCopy()
            let segment = copy.path + "/topics/t/0/00000000000000000000.log"
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: segment))
            try handle.seek(toOffset: UInt64(position))
            let original = try handle.read(upToCount: 1)![0]
            try handle.seek(toOffset: UInt64(position))
            try handle.write(contentsOf: [original ^ UInt8(1 << Int.random(in: 0..<8, using: &random))])
            try handle.close()

            let report = try LogVerifier(directory: copy.path).verify()
            #expect(report.problems.contains { $0.file == segment && $0.position == start }, "flip at \(position): \(report.problems)")
            try expectRecovered(copy.path, pristine: pristine, batches: batch)
        }
    }

    @Test("damage in the last of several segments cuts only that segment")
    func multiSegment() throws {
        let directory = TemporaryDirectory()
        var log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("t", config: TopicConfig(partitions: 1, segmentBytes: 8 << 10, flush: .pagecache))
        let now = currentTimeMillis()
        for b in 0..<200 {
            try topic.append(
                (0..<5).map { Record(value: bytes("b\(b) r\($0) " + String(repeating: "q", count: 40)), timestamp: now) }, partition: 0)
        }
        let segments = try topic.partitions[0].segmentBaseOffsets
        #expect(segments.count > 3)
        try log.close()
        try FileManager.default.removeItem(atPath: directory.path + "/" + EmbeddedLog.cleanShutdownMarker)
        let last = directory.path + "/topics/t/0/" + Segment.fileName(segments.last!, ".log")
        let size = try FileSystem.fileSize(last)
        #expect(truncate(last, off_t(size - 10)) == 0)

        log = try EmbeddedLog(directory: directory.path)
        let partition = try log.topic("t").partitions[0]
        #expect(try partition.damage.count == 1)
        #expect(try partition.segmentBaseOffsets == segments)
        #expect(try partition.endOffset == 995)
        #expect(try readAll(try log.topic("t")).map(\.offset) == Array(0..<995))
        try log.close()
        #expect(try LogVerifier(directory: directory.path).verify().problems.isEmpty)
    }

    @Test("a damaged tail is found even when the last stop claimed to be clean")
    func damagedDespiteCleanMarker() throws {
        let pristine = try Pristine(codec: .none, batches: 10)
        let copy = try pristine.crashedCopy()
        try FileSystem.writeAtomically(copy.path + "/" + EmbeddedLog.cleanShutdownMarker, Array("clean\n".utf8))
        #expect(truncate(copy.path + "/topics/t/0/00000000000000000000.log", off_t(pristine.segmentSize - 3)) == 0)
        let log = try EmbeddedLog(directory: copy.path)
        #expect(try readAll(try log.topic("t")).count == 9 * 7)
        try log.close()
    }

    @Test("a committed offset beyond the log end is reported and clamped at open")
    func clampCommittedOffsets() throws {
        let pristine = try Pristine(codec: .none, batches: 10)
        var log = try EmbeddedLog(directory: pristine.directory.path)
        try log.groups.commit(group: "readers", memberID: nil, generation: nil, offsets: [TopicPartition(topic: "t", partition: 0): 70])
        try log.close()
        // Lose the last two batches, as a power loss under `pagecache` could.
        let copy = try pristine.crashedCopy()
        #expect(truncate(copy.path + "/topics/t/0/00000000000000000000.log", off_t(pristine.batchStarts[8])) == 0)
        log = try EmbeddedLog(directory: copy.path)
        #expect(log.clampedOffsets == [ClampedOffset(group: "readers", topic: "t", partition: 0, committed: 70, end: 56)])
        #expect(log.groups.committedOffsets(group: "readers")[TopicPartition(topic: "t", partition: 0)] == 56)
        try log.close()
    }
}
