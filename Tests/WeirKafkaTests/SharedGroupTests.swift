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

        /// 25 records into each partition, named after the phase and the partition.
        func produce(_ phase: String) async throws -> [String] {
            var all: [String] = []
            for partition in 0..<4 {
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
        let after = try await produce("after")
        try await waitUntilRead("the sink read the consumer's partitions again") {
            sinkLines().count + consumed().count == alone.count + shared.count + after.count
        }
        let everything = sinkLines() + consumed().map(\.value)
        #expect(everything.count == Set(everything).count, "a record was read twice")
        #expect(Set(everything) == Set(alone + shared + after))
        #expect(run.stop() == 0, "\(run.stderr.suffix(2000))")
    }
}
