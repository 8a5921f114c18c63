import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

/// Sinks of gzip topics read each member's next batch ahead (`BatchPrefetcher`, when a
/// core is left over for it: at parallelism 1 here, and on 2 cores not at 2): still every
/// record written once, in each partition's order, also across a rebalance.
@Suite("weir run: prefetched batches of gzip topics")
struct PrefetchRunTests {
    /// Each partition's values, in offset order.
    static func partitions(of topic: String, in log: EmbeddedLog) throws -> [[String]] {
        try log.topic(topic).partitions.map { partition in
            var reader = PartitionReader(partition: partition, from: try partition.startOffset)
            var values: [String] = []
            try reader.read(upTo: try partition.endOffset) { view in
                values.append(String(decoding: view.value ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self))
                return true
            }
            return values
        }
    }

    /// Every record of the topic is in `written` once, and each partition's in its order.
    static func expectEachOnceInOrder(_ written: [String], _ partitions: [[String]], expected count: Int) {
        #expect(written.count == count)
        #expect(Set(written).count == written.count, "a record was written twice")
        #expect(partitions.map(\.count).reduce(0, +) == count)
        for (index, values) in partitions.enumerated() {
            let mine = Set(values)
            #expect(written.filter { mine.contains($0) } == values, "partition \(index) out of order")
        }
    }

    @Test(
        "every record of a gzip topic is written once, in order per partition",
        arguments: [(partitions: 1, parallelism: 1), (4, 1), (4, 2), (3, 2)])
    func gzipExactlyOnce(partitions: Int, parallelism: Int) throws {
        let h = try RunnerHarness()
        let summary = try h.runOnce(
            """
            name: gz
            topics: { t: { partitions: \(partitions), compression: gzip } }
            sources:
              g: { type: generate, count: 30000, topic: t }
            sinks:
              out: { type: file, inputs: [t], path: "\(h.path("out.txt"))", encoding: text, parallelism: \(parallelism) }
            """)
        #expect(summary.written["out"] == 30_000)
        Self.expectEachOnceInOrder(h.lines("out.txt"), try Self.partitions(of: "t", in: h.log), expected: 30_000)
    }

    @Test("a member that hands partitions over in a rebalance and takes them back writes each record once")
    func rebalance() throws {
        let h = try RunnerHarness()
        try h.start(
            """
            name: gzr
            topics: { t: { partitions: 4, compression: gzip } }
            sources:
              g: { type: generate, count: 60000, rate: 30000, topic: t }
            sinks:
              out: { type: file, inputs: [t], path: "\(h.path("out.txt"))", encoding: text }
            """)
        h.waitUntil("some output") { h.lines("out.txt").count > 2_000 }
        // Another member joins: the sink's member hands its partitions over (dropping what it
        // prefetched) and keeps half; the other member reads nothing and leaves, and the sink
        // takes its half back from where it committed.
        let outsider = try h.log.groups.join(group: "gzr.out", topics: ["t"], partitionCounts: ["t": 4])
        #expect(outsider.assignment.count == 2)
        h.log.groups.leave(group: "gzr.out", memberID: outsider.memberID)
        h.waitUntil("everything written") { h.lines("out.txt").count >= 60_000 }
        let summary = try h.stopAndWait()
        #expect(summary.written["out"] == 60_000)
        Self.expectEachOnceInOrder(h.lines("out.txt"), try Self.partitions(of: "t", in: h.log), expected: 60_000)
    }
}
