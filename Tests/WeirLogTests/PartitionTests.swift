import Foundation
import Synchronization
import Testing
import WeirTestSupport

@testable import WeirLog

@Suite("Partitions, segments and indexes")
struct PartitionTests {
    /// A topic with small segments so tests roll often.
    static func smallSegments(partitions: Int = 1, segmentBytes: Int64 = 64 << 10) -> TopicConfig {
        TopicConfig(partitions: partitions, segmentBytes: segmentBytes, retentionMs: nil, flush: .pagecache)
    }

    static func record(_ i: Int, timestamp: Int64? = nil) -> Record {
        Record(
            key: nil, value: bytes("record number \(i) " + String(repeating: "x", count: i % 200)),
            timestamp: timestamp ?? 1_700_000_000_000 + Int64(i))
    }

    /// Appends `count` records in batches of `batchSize` to partition 0.
    static func fill(_ topic: Topic, count: Int, batchSize: Int = 50, timestamp: (Int) -> Int64? = { _ in nil }) throws {
        for start in stride(from: 0, to: count, by: batchSize) {
            let batch = (start..<min(count, start + batchSize)).map { record($0, timestamp: timestamp($0)) }
            try topic.append(batch, partition: 0)
        }
    }

    @Test("offsets are dense from 0 and reads return exactly what was appended")
    func denseOffsets() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("dense", config: Self.smallSegments())
        try Self.fill(topic, count: 3000)
        let all = try readAll(topic)
        #expect(all.map(\.offset) == Array(0..<3000))
        #expect(all.map(\.record) == (0..<3000).map { Self.record($0) })
        #expect(try topic.partitions[0].segmentCount > 3)
        try log.close()
    }

    @Test("segments roll at the size limit and are named by base offset")
    func segmentRoll() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("roll", config: Self.smallSegments(segmentBytes: 16 << 10))
        try Self.fill(topic, count: 2000, batchSize: 20)
        let partition = topic.partitions[0]
        let bases = try partition.segmentBaseOffsets
        #expect(bases.count > 5)
        let files = try FileManager.default.contentsOfDirectory(atPath: partition.directory).filter { $0.hasSuffix(".log") }.sorted()
        #expect(files == bases.map { Segment.fileName($0, ".log") })
        for file in files {
            let size = try FileSystem.fileSize(partition.directory + "/" + file)
            #expect(size <= 16 << 10)
            #expect(file.count == 24)
        }
        try log.close()
    }

    @Test("a read of whole batches ends between batches, before one that would pass the limit")
    func wholeBatchReads() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("whole", config: Self.smallSegments(segmentBytes: 1 << 20))
        try Self.fill(topic, count: 100, batchSize: 10)
        let partition = topic.partitions[0]
        // From the middle of a batch: its rest, and as many whole batches as fit in the limit.
        var reader = PartitionReader(partition: partition, from: 5)
        var seen: [Int64] = []
        let read = { (reader: inout PartitionReader, limit: Int) in
            try reader.read(upTo: 100, limit: limit, wholeBatches: true) { view in
                seen.append(view.offset)
                return true
            }
        }
        #expect(try read(&reader, 24) == 15)
        #expect(reader.position == 20)
        #expect(try read(&reader, 25) == 20)
        #expect(reader.position == 40)
        // A batch larger than the limit is cut at the limit.
        #expect(try read(&reader, 3) == 3)
        #expect(reader.position == 43)
        // The end cuts a batch: records up to it, and the reader stops at it.
        let upToEnd = try reader.read(upTo: 55, limit: 100, wholeBatches: true) { view in
            seen.append(view.offset)
            return true
        }
        #expect(upToEnd == 12)
        #expect(try read(&reader, 1_000) == 45)
        #expect(seen == Array(5..<100))
        // Without whole batches the limit is exact.
        var exact = PartitionReader(partition: partition, from: 5)
        #expect(try exact.read(upTo: 100, limit: 24) { _ in true } == 24)
        #expect(exact.position == 29)
        try log.close()
    }

    @Test("a fetch from any offset starts at the batch holding it, found through the index")
    func fetchByOffset() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("index", config: Self.smallSegments(segmentBytes: 1 << 20))
        try Self.fill(topic, count: 5000, batchSize: 10)
        let partition = topic.partitions[0]
        #expect(try segmentIndexEntries(partition) > 10, "the sparse index should have entries about every 4 KiB")
        for offset in stride(from: Int64(0), to: 5000, by: 37) {
            let fetched = try partition.fetch(from: offset, maxBytes: 1)
            let batch = try fetched.bytes.withUnsafeBytes { try RecordBatch(parsing: $0) }
            #expect(batch.header.baseOffset <= offset && offset <= batch.header.lastOffset)
            var reader = PartitionReader(partition: partition, from: offset)
            var first: Record?
            try reader.read(upTo: offset + 1) { view in
                first = view.record
                return true
            }
            #expect(first == Self.record(Int(offset)))
        }
        #expect(try partition.fetch(from: 5000).bytes.isEmpty)
        #expect(throws: WeirLogError.self) { try partition.fetch(from: 5001) }
        try log.close()
    }

    @Test("a fetch stops near the byte limit but always returns a whole first batch")
    func fetchByteLimit() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("limit", config: Self.smallSegments(segmentBytes: 1 << 20))
        try Self.fill(topic, count: 1000, batchSize: 10)
        let small = try topic.partitions[0].fetch(from: 0, maxBytes: 10)
        #expect(Partition.wholeBatchesLength(small.bytes) == small.bytes.count)
        let header = try small.bytes.withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
        #expect(small.bytes.count == header.totalSize)
        let larger = try topic.partitions[0].fetch(from: 0, maxBytes: 10_000)
        #expect(larger.bytes.count <= 10_000 && larger.bytes.count > header.totalSize)
        try log.close()
    }

    @Test("a fetch as a file span names the bytes a fetch reads, and outlives the segment's deletion")
    func fetchSpan() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("spans", config: Self.smallSegments(segmentBytes: 16 << 10))
        try Self.fill(topic, count: 2000, batchSize: 10)
        let partition = topic.partitions[0]
        for (offset, maxBytes) in [(Int64(0), 1), (0, 10_000), (555, 3000), (1999, 1 << 20)] {
            let fetched = try partition.fetch(from: offset, maxBytes: maxBytes)
            let result = try partition.fetchSpan(from: offset, maxBytes: maxBytes)
            let span = try #require(result.span)
            defer { close(span.descriptor) }
            var bytes = [UInt8](repeating: 0, count: span.length)
            #expect(pread(span.descriptor, &bytes, span.length, off_t(span.offset)) == span.length)
            #expect(bytes == fetched.bytes, "offset \(offset), max \(maxBytes)")
            #expect(result.endOffset == fetched.endOffset && result.startOffset == fetched.startOffset)
        }
        #expect(try partition.fetchSpan(from: 2000, maxBytes: 100).span == nil)
        // The span's descriptor is its own: the segment it reads may be deleted meanwhile.
        let first = try #require(try partition.fetchSpan(from: 0, maxBytes: 1000).span)
        defer { close(first.descriptor) }
        let expected = try partition.fetch(from: 0, maxBytes: 1000).bytes
        try log.deleteTopic("spans")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/topics/spans"))
        var bytes = [UInt8](repeating: 0, count: first.length)
        #expect(pread(first.descriptor, &bytes, first.length, off_t(first.offset)) == first.length)
        #expect(bytes == expected)
        try log.close()
    }

    @Test("lookup by timestamp finds the first record at or after it")
    func offsetForTimestamp() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("time", config: Self.smallSegments(segmentBytes: 32 << 10))
        // Timestamps rise by 10 ms per record.
        try Self.fill(topic, count: 4000, batchSize: 25) { 1_700_000_000_000 + Int64($0) * 10 }
        let partition = topic.partitions[0]
        #expect(try partition.segmentCount > 2)
        for target in [0, 1, 9, 10, 11, 12_345, 24_999, 39_990] {
            let expected = Int64((target + 9) / 10)
            #expect(try partition.offset(forTimestamp: 1_700_000_000_000 + Int64(target)) == expected)
        }
        #expect(try partition.offset(forTimestamp: 1_600_000_000_000) == 0)
        #expect(try partition.offset(forTimestamp: 1_800_000_000_000) == 4000)
        try log.close()
    }

    @Test("indexes survive a clean restart and agree with a rebuilt one")
    func indexesPersist() throws {
        let directory = TemporaryDirectory()
        var log = try EmbeddedLog(directory: directory.path)
        try Self.fill(try log.createTopic("persist", config: Self.smallSegments()), count: 3000)
        try log.close()
        log = try EmbeddedLog(directory: directory.path)
        let partition = try log.topic("persist").partitions[0]
        #expect(try partition.endOffset == 3000)
        for offset in stride(from: Int64(0), to: 3000, by: 101) {
            let batch = try partition.fetch(from: offset).bytes.withUnsafeBytes { try RecordBatch(parsing: $0) }
            #expect(batch.header.baseOffset <= offset && offset <= batch.header.lastOffset)
        }
        try log.close()
        let report = try LogVerifier(directory: directory.path).verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.records == 3000)
    }

    @Test("retention by size deletes whole old segments and moves the start offset")
    func retentionBySize() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        var config = Self.smallSegments(segmentBytes: 16 << 10)
        config.retentionBytes = 48 << 10
        let topic = try log.createTopic("sized", config: config)
        try Self.fill(topic, count: 5000, batchSize: 20)
        let partition = topic.partitions[0]
        try partition.enforceRetention()
        #expect(try partition.sizeInBytes <= (48 << 10) + (16 << 10))
        #expect(try partition.startOffset > 0)
        #expect(try partition.startOffset == partition.segmentBaseOffsets.first)
        #expect(try partition.endOffset == 5000)
        let error = #expect(throws: WeirLogError.self) { try partition.fetch(from: 0) }
        #expect(error?.description.contains("out of range") == true)
        let remaining = try readAll(topic)
        #expect(try remaining.first?.offset == partition.startOffset)
        #expect(remaining.last?.offset == 4999)
        try log.close()
    }

    @Test("retention by age deletes segments whose newest record is too old")
    func retentionByAge() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        var config = Self.smallSegments(segmentBytes: 16 << 10)
        config.retentionMs = 60_000
        let topic = try log.createTopic("aged", config: config)
        let now = currentTimeMillis()
        // The first 2000 records are two hours old, the rest are fresh.
        try Self.fill(topic, count: 4000, batchSize: 20) { $0 < 2000 ? now - 7_200_000 : now }
        let partition = topic.partitions[0]
        try partition.enforceRetention(now: now)
        #expect(try partition.startOffset > 0)
        #expect(try partition.startOffset <= 2000)
        let remaining = try readAll(topic)
        let start = try partition.startOffset
        #expect(remaining.allSatisfy { $0.offset >= start })
        // Everything fresh is kept.
        #expect(remaining.filter { $0.record.timestamp == now }.count == 2000)
        try log.close()
    }

    @Test("several appenders and readers on one partition see dense, complete, ordered data")
    func concurrentAppendersAndReaders() async throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("busy", config: TopicConfig(partitions: 1, segmentBytes: 256 << 10, flush: .always))
        let partition = topic.partitions[0]
        let writers = 4
        let batchesPerWriter = 100
        let perBatch = 10
        let total = Int64(writers * batchesPerWriter * perBatch)

        try await withThrowingTaskGroup(of: [String].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for b in 0..<batchesPerWriter {
                        let records = (0..<perBatch).map { Record(value: bytes("w\(writer)-b\(b)-r\($0)"), timestamp: 1) }
                        try partition.append([try RecordBatchBuilder.encode(records, codec: .none)])
                    }
                    return []
                }
            }
            for _ in 0..<3 {
                group.addTask {
                    // A tailing reader: waits for data instead of polling, until it has everything.
                    var seen: [String] = []
                    var reader = PartitionReader(partition: partition, from: 0)
                    while reader.position < total {
                        await partition.waitForData(atOrAfter: reader.position)
                        try reader.read(upTo: partition.endOffset) { view in
                            seen.append(String(decoding: view.value!, as: UTF8.self))
                            return true
                        }
                    }
                    return seen
                }
            }
            var readerViews: [[String]] = []
            for try await seen in group where !seen.isEmpty { readerViews.append(seen) }
            #expect(readerViews.count == 3)
            let expected = Set(
                (0..<writers).flatMap { w in (0..<batchesPerWriter).flatMap { b in (0..<perBatch).map { "w\(w)-b\(b)-r\($0)" } } })
            for seen in readerViews {
                #expect(seen.count == Int(total))
                #expect(Set(seen) == expected)
                // Each writer's records appear in the order it wrote them.
                for w in 0..<writers {
                    let mine = seen.filter { $0.hasPrefix("w\(w)-") }
                    #expect(mine == (0..<batchesPerWriter).flatMap { b in (0..<perBatch).map { "w\(w)-b\(b)-r\($0)" } })
                }
            }
            #expect(readerViews.allSatisfy { $0 == readerViews[0] })
        }
        #expect(try partition.endOffset == total)
        #expect(try readAll(topic).map(\.offset) == Array(0..<total))
        try log.close()
    }

    @Test("a waiting reader wakes when data arrives and when cancelled")
    func waitWakes() async throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let partition = try log.createTopic("wait").partitions[0]
        let waiter = Task { await partition.waitForData(atOrAfter: 0) }
        try partition.append([try RecordBatchBuilder.encode([Record(value: bytes("x"), timestamp: 1)], codec: .none)])
        await waiter.value
        let cancelled = Task { await partition.waitForData(atOrAfter: 5) }
        cancelled.cancel()
        await cancelled.value
        #expect(try partition.endOffset == 1)
        try log.close()
    }

    @Test("a thread waiting for data on several partitions wakes on an append to any, and when the log closes")
    func threadWaitWakes() async throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let topic = try log.createTopic("wait", config: TopicConfig(partitions: 2))
        // The waiting threads start here, not from a task: the test must not depend on the
        // concurrency pool, which blocking tests running beside it may hold. Each records
        // when it woke; its deadline is far beyond any wake the test expects.
        final class Woke: Sendable {
            private let value = Mutex<ContinuousClock.Instant?>(nil)
            var instant: ContinuousClock.Instant? { value.withLock { $0 } }
            func set() { value.withLock { $0 = .now } }
        }
        func waitOnThread(_ readers: [PartitionReader]) -> Woke {
            let woke = Woke()
            Thread.detachNewThread {
                Partition.waitForData(readers, until: .now + .seconds(300))
                woke.set()
            }
            return woke
        }
        /// Polls `condition` up to 2,000 times, 10 ms apart.
        func eventually(_ condition: () -> Bool) async throws -> Bool {
            for _ in 0..<2000 {
                if condition() { return true }
                try await Task.sleep(for: .milliseconds(10))
            }
            return condition()
        }
        /// Woke after `event`, and soon after it (not at its deadline).
        func wokeSoonAfter(_ woke: Woke, _ event: ContinuousClock.Instant) async throws -> Bool {
            guard try await eventually({ woke.instant != nil }), let instant = woke.instant else { return false }
            return instant >= event && instant - event < .seconds(60)
        }
        let readers = topic.partitions.map { PartitionReader(partition: $0, from: 0) }
        let appended = waitOnThread(readers)
        #expect(try await eventually { topic.partitions.allSatisfy { $0.newData.waiterCount == 1 } })
        // Nothing wakes it but data: not the log's once-a-second housekeeping either.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(appended.instant == nil)
        let appending = ContinuousClock.now
        try topic.partitions[1].append([try RecordBatchBuilder.encode([Record(value: bytes("x"), timestamp: 1)], codec: .none)])
        #expect(try await wokeSoonAfter(appended, appending))
        // Data already there: no wait at all.
        let starting = ContinuousClock.now
        #expect(try await wokeSoonAfter(waitOnThread(readers), starting))
        let closing = waitOnThread([PartitionReader(partition: topic.partitions[0], from: 0)])
        #expect(try await eventually { topic.partitions[0].newData.waiterCount == 1 })
        let closed = ContinuousClock.now
        try log.close()
        #expect(try await wokeSoonAfter(closing, closed))
    }

    func segmentIndexEntries(_ partition: Partition) throws -> Int {
        let files = try FileManager.default.contentsOfDirectory(atPath: partition.directory).filter { $0.hasSuffix(".index") }
        try partition.flush()
        return try files.reduce(0) { $0 + Int(try FileSystem.fileSize(partition.directory + "/" + $1)) / 8 }
    }
}

@Suite("Group commit")
struct GroupCommitTests {
    @Test("appends waiting for an fsync together share one")
    func sharedFsync() async throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let partition = try log.createTopic("t", config: TopicConfig(partitions: 1, flush: .always)).partitions[0]
        let batch = try RecordBatchBuilder.encode([Record(value: bytes("x"), timestamp: 1)], codec: .none)
        let header = try batch.withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
        // Ten appends written but not yet synced, as when ten appenders arrive during one fsync.
        var targets: [Int64] = []
        for _ in 0..<10 {
            let written = try batch.withUnsafeBytes { try partition.appendUnsynced($0, header: header) }
            #expect(written.mustSync)
            targets.append(written.appendedUpTo)
        }
        #expect(try partition.endOffset == 0, "under always nothing is visible before its fsync")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for target in targets { group.addTask { try partition.sync(upTo: target) } }
            try await group.waitForAll()
        }
        #expect(partition.syncCount.load(ordering: .relaxed) == 1)
        #expect(try partition.endOffset == 10)
        try log.close()
    }
}
