import Foundation
import Synchronization
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

/// The prefetcher alone: which batches it hands over, what it drops, and that a batch it
/// reads is the batch an inline read gives.
@Suite("BatchPrefetcher: a member's next batch read ahead")
struct BatchPrefetcherTests {
    struct ReadFailed: Error, Equatable {}

    /// A fresh log with a gzip topic of one partition holding `count` lines.
    final class Fixture: @unchecked Sendable {  // immutable after init
        let directory = FileManager.default.temporaryDirectory.path + "/weir-prefetch-" + UUID().uuidString
        let log: EmbeddedLog
        let partition: Partition

        init(count: Int = 10_000) throws {
            log = try EmbeddedLog(directory: directory)
            let topic = try log.createTopic("t", config: TopicConfig(partitions: 1, compression: .gzip))
            try topic.append(
                (0..<count).map { Record(value: Array("line \($0)".utf8), timestamp: 1_000 + Int64($0)) }, partition: 0)
            partition = topic.partitions[0]
        }

        deinit {
            try? log.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func request(from offset: Int64, end: Int64) -> BatchRequest {
            BatchRequest(
                key: TopicPartition(topic: "t", partition: 0), reader: PartitionReader(partition: partition, from: offset), end: end)
        }
    }

    @Test("a prefetched batch equals the inline read, and a later end still takes it")
    func takesWhatItRead() throws {
        let f = try Fixture()
        let prefetcher = BatchPrefetcher(name: "test") { request, cancelled in
            try FetchedBatch(reading: request, limit: 4_000, cancelled: cancelled)
        }
        defer { prefetcher.stop() }
        prefetcher.prefetch(f.request(from: 4_000, end: 9_000))
        var taken = try #require(prefetcher.take(f.request(from: 4_000, end: 10_000))).get()
        var inline = try FetchedBatch(reading: f.request(from: 4_000, end: 9_000), limit: 4_000)
        #expect(taken.bytes == inline.bytes)
        let records = taken.records()
        #expect(records == inline.records())
        #expect(records.count == 4_000)
        #expect(records.first?.origin == RecordOrigin(topic: "t", partition: 0, offset: 4_000))
        #expect(records.first?[field: "message"] == .string("line 4000"))
        #expect(records.first?.timestamp == 5_000)
        #expect(taken.reader.position == 8_000)
        #expect(!prefetcher.isHolding)
    }

    @Test("a batch for another position, partition or a later end is dropped: the member reads inline")
    func dropsWhatDoesNotMatch() throws {
        let f = try Fixture(count: 10)
        let reads = Mutex(0)
        let prefetcher = BatchPrefetcher(name: "test") { request, cancelled in
            reads.withLock { $0 += 1 }
            return try FetchedBatch(reading: request, limit: 4_000, cancelled: cancelled)
        }
        defer { prefetcher.stop() }
        prefetcher.prefetch(f.request(from: 2, end: 10))
        #expect(prefetcher.take(f.request(from: 3, end: 10)) == nil)
        #expect(!prefetcher.isHolding)
        prefetcher.prefetch(f.request(from: 2, end: 10))
        // Read up to an end the member does not know of yet (the partition was cut back).
        #expect(prefetcher.take(f.request(from: 2, end: 9)) == nil)
        prefetcher.prefetch(f.request(from: 2, end: 10))
        let other = BatchRequest(
            key: TopicPartition(topic: "u", partition: 0), reader: PartitionReader(partition: f.partition, from: 2), end: 10)
        #expect(prefetcher.take(other) == nil)
        prefetcher.prefetch(f.request(from: 2, end: 10))
        prefetcher.discard()
        #expect(prefetcher.take(f.request(from: 2, end: 10)) == nil)
    }

    @Test("the error of a batch taken is the read's error; a dropped batch's error is nobody's")
    func errors() throws {
        let f = try Fixture(count: 10)
        let prefetcher = BatchPrefetcher(name: "test") { _, _ in throw ReadFailed() }
        defer { prefetcher.stop() }
        prefetcher.prefetch(f.request(from: 0, end: 10))
        let taken = try #require(prefetcher.take(f.request(from: 0, end: 10)))
        #expect(throws: ReadFailed.self) { try taken.get() }
        prefetcher.prefetch(f.request(from: 0, end: 10))
        prefetcher.discard()
        #expect(prefetcher.take(f.request(from: 0, end: 10)) == nil)
    }

    @Test("take waits for a read in progress; a read given up is told to stop and stop joins the thread")
    func inFlight() throws {
        let f = try Fixture(count: 10)
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        let sawCancel = Mutex<[Bool]>([])
        let prefetcher = BatchPrefetcher(name: "test") { request, cancelled in
            started.signal()
            gate.wait()
            sawCancel.withLock { $0.append(cancelled()) }
            return try FetchedBatch(reading: request, limit: 4_000)
        }
        prefetcher.prefetch(f.request(from: 0, end: 10))
        started.wait()
        // Opened only once `take` may be waiting (or about to): it returns the batch either way.
        Thread.detachNewThread { gate.signal() }
        var taken = try #require(prefetcher.take(f.request(from: 0, end: 10))).get()
        #expect(taken.records().count == 10)

        prefetcher.prefetch(f.request(from: 5, end: 10))
        started.wait()
        prefetcher.discard()
        gate.signal()
        prefetcher.stop()
        #expect(sawCancel.withLock { $0 } == [false, true])
        // Stopped: nothing more is read.
        prefetcher.prefetch(f.request(from: 0, end: 10))
        #expect(!prefetcher.isHolding)
        prefetcher.stop()
    }
}
