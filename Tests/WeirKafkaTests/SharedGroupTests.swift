import Foundation
import Testing
import WeirTestSupport

/// A pipeline's sink and an outside Kafka consumer in one consumer group: they split the
/// partitions, hand them over in each rebalance, and every record is read once.
@Suite struct SharedGroupTests {
    @Test func aPipelineSinkAndAnOutsideConsumerSplitOneGroup() async throws {
        let directory = TemporaryDirectory()
        let input = try directory.write("input.log", "")
        let output = directory.path + "/out.txt"
        let pipeline = try directory.write(
            "shared.yaml",
            """
            name: shared
            topics:
              lines: { partitions: 4 }
            sources:
              input: { type: tail, paths: ["\(input)"], topic: lines }
            sinks:
              out: { type: file, inputs: [lines], path: "\(output)", encoding: text, group: readers }
            """)
        let run = try BackgroundClient(
            Paths.weir, ["run", "--quiet", "--kafka", "127.0.0.1:0", "--data-dir", directory.path + "/data", pipeline])
        try await run.waitFor("weir run serves Kafka clients") { _, err in err.contains("serving Kafka clients on ") }
        let address = String(run.stderr.components(separatedBy: "serving Kafka clients on ")[1].prefix { !$0.isWhitespace })

        /// 25 records into each of `partitions`, named after the phase and the partition.
        func produce(_ phase: String, into partitions: [Int] = Array(0..<4)) async throws -> [String] {
            var all: [String] = []
            for partition in partitions {
                let values = (0..<25).map { "\(phase)-p\(partition)-\($0)" }
                let sent = try await Clients.run(
                    Clients.kcat, ["-b", address, "-P", "-t", "lines", "-p", "\(partition)"],
                    input: Data((values.joined(separator: "\n") + "\n").utf8))
                #expect(sent.status == 0, "\(sent.stderr)")
                all += values
            }
            return all
        }
        @Sendable func sinkLines() -> [String] {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        func waitUntilRead(_ what: String, _ condition: @escaping @Sendable () -> Bool) async throws {
            try await onOwnThread { _ = try waitUntil(what, seconds: 60) { condition() ? true : nil } }
        }

        // The sink alone reads every partition.
        let alone = try await produce("alone")
        try await waitUntilRead("the sink wrote what was produced") { sinkLines().count == alone.count }

        // An outside consumer joins the sink's group: the sink hands two partitions over.
        let consumer = try BackgroundClient(
            "/usr/bin/env",
            ["python3", Clients.scripts + "/group_member.py", "--bootstrap", address, "--topic", "lines", "--group", "readers"])
        try await consumer.waitFor("the consumer has partitions") { out, _ in out.contains("assigned ") }
        let assigned =
            consumer.stdout.split(separator: "\n").first { $0.hasPrefix("assigned ") }
            .map { Set($0.dropFirst(9).split(separator: ",").compactMap { Int($0) }) } ?? []
        #expect(assigned.count == 2, "\(consumer.stdout)")
        let shared = try await produce("shared")
        @Sendable func consumed() -> [(partition: Int, value: String)] {
            consumer.stdout.split(separator: "\n").filter { $0.hasPrefix("record ") }.compactMap { line in
                let fields = line.split(separator: " ", maxSplits: 2)
                guard fields.count == 3, let partition = Int(fields[1]) else { return nil }
                return (partition, String(fields[2]))
            }
        }
        try await waitUntilRead("the sink and the consumer together read everything") {
            sinkLines().count + consumed().count == alone.count + shared.count
        }
        // Each read only its own partitions' new records, and the consumer started where the sink stopped.
        #expect(consumed().allSatisfy { assigned.contains($0.partition) && $0.value.hasPrefix("shared-") })
        #expect(Set(consumed().map(\.value)) == Set(shared.filter { value in assigned.contains { value.contains("-p\($0)-") } }))
        let sinkShared = sinkLines().filter { $0.hasPrefix("shared-") }
        #expect(sinkShared.allSatisfy { value in !assigned.contains { value.contains("-p\($0)-") } })

        // The consumer leaves: the sink takes its partitions back, from where the consumer committed.
        #expect(consumer.stop() == 0, "\(consumer.stderr.suffix(1000))")
        // New records only in the sink's own partitions first: its commits of those must not
        // take the group's offsets of the partitions it took back to where it had stopped.
        let own = try await produce("own", into: (0..<4).filter { !assigned.contains($0) })
        try await waitUntilRead("the sink wrote its own partitions' records") {
            sinkLines().count + consumed().count == alone.count + shared.count + own.count
        }
        let expected = Dictionary(uniqueKeysWithValues: (0..<4).map { ($0, assigned.contains($0) ? 50 : 75) })
        let committed = try await Self.committed(directory.path + "/data", "readers", becoming: expected)
        #expect(committed == expected)
        let after = try await produce("after")
        try await waitUntilRead("the sink read the consumer's partitions again") {
            sinkLines().count + consumed().count == alone.count + shared.count + own.count + after.count
        }
        let everything = sinkLines() + consumed().map(\.value)
        #expect(everything.count == Set(everything).count, "a record was read twice")
        #expect(Set(everything) == Set(alone + shared + own + after))
        #expect(run.stop() == 0, "\(run.stderr.suffix(2000))")
    }

    /// The group's committed offsets by partition (`weir groups describe`, through the run's
    /// listener), once they are `expected` (the sink mirrors its commits about once a
    /// second), or as they are after 15 s.
    static func committed(_ dataDir: String, _ group: String, becoming expected: [Int: Int]) async throws -> [Int: Int] {
        try await onOwnThread {
            let deadline = Date().addingTimeInterval(15)
            var seen: [Int: Int] = [:]
            while Date() < deadline {
                let described = try? WeirTestSupport.run(
                    Paths.weir, ["groups", "describe", group, "--format", "json", "--data-dir", dataDir])
                if let described, described.status == 0,
                    let rows = (try? JSONSerialization.jsonObject(with: Data(described.stdoutText.utf8)) as? [String: Any])?[
                        "partitions"] as? [[String: Any]]
                {
                    seen = Dictionary(
                        uniqueKeysWithValues: rows.compactMap { row in
                            (row["committed"] as? Int).flatMap { committed in (row["partition"] as? Int).map { ($0, committed) } }
                        })
                    if seen == expected { break }
                }
                usleep(200_000)
            }
            return seen
        }
    }
}
