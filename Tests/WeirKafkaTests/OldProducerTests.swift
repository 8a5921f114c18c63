import Foundation
import Testing
import WeirTestSupport

/// Producers of the formats before record batches (Produce v0–2), and librdkafka 2.0.2's
/// gzip, which it turns on only when the broker serves Produce v0.
@Suite struct OldProducerTests {
    /// The batches of a partition's first segment, as `weir log dump` prints them: each
    /// batch's codec and record count.
    static func batches(_ dataDir: String, _ topic: String, _ partition: Int) async throws -> [(codec: String, count: Int)] {
        let dumped = try await onOwnThread {
            try run(Paths.weir, ["log", "dump", "\(dataDir)/topics/\(topic)/\(partition)/00000000000000000000.log"])
        }
        return dumped.stdoutText.split(separator: "\n").filter { $0.hasPrefix("baseOffset:") }.compactMap { line in
            let fields = line.split(separator: " ")
            guard let codec = fields.firstIndex(of: "compresscodec:").map({ String(fields[$0 + 1]) }),
                let count = fields.firstIndex(of: "count:").flatMap({ Int(fields[$0 + 1]) })
            else { return nil }
            return (codec, count)
        }
    }

    @Test(arguments: ["0.8.2", "0.9", "0.10.0"], ["none", "gzip"])
    func kafkaPythonAtOldVersionsProducesRecordsWeirStores(apiVersion: String, compression: String) async throws {
        let bench = try await WireBench.start(topics: ["old": 1])
        let (result, summary) = try await Clients.script(
            "old_producer.py",
            ["--bootstrap", bench.address, "--topic", "old", "--api-version", apiVersion, "--compression", compression, "--records", "60"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(summary["sent"] as? Int == 60)

        let consumed = try await Clients.run(Clients.kcat, ["-b", bench.address, "-C", "-t", "old", "-e", "-q", "-f", "%k %s %T\\n"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let lines = consumed.stdoutText.split(separator: "\n").map(String.init)
        #expect(
            lines.map { $0.split(separator: " ").dropLast().joined(separator: " ") }
                == (0..<60).map { "k\($0 % 3) \(apiVersion) \(compression) \($0)" })
        // Every record has a timestamp: the producer's (format v1) or the broker's (v0).
        #expect(lines.allSatisfy { ($0.split(separator: " ").last.flatMap { Int64($0) } ?? 0) > 1_600_000_000_000 })
        #expect(try await bench.finish() == 0)
        // Stored as record batches of the codec the producer chose.
        let batches = try await Self.batches(bench.dataDir, "old", 0)
        #expect(!batches.isEmpty)
        #expect(batches.allSatisfy { $0.codec == compression })
        #expect(batches.reduce(0) { $0 + $1.count } == 60)
    }

    @Test func kcatCompressesWithGzip() async throws {
        let bench = try await WireBench.start(topics: ["zipped": 1])
        let lines = (0..<2_000).map { "a line that compresses well \($0 % 10)" }
        let produced = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-P", "-t", "zipped", "-z", "gzip"],
            input: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(!produced.stderr.contains("does not support compression"), "\(produced.stderr)")
        let consumed = try await Clients.run(Clients.kcat, ["-b", bench.address, "-C", "-t", "zipped", "-e", "-q"])
        #expect(consumed.stdoutText.split(separator: "\n").map(String.init) == lines)
        #expect(try await bench.finish() == 0)
        let batches = try await Self.batches(bench.dataDir, "zipped", 0)
        #expect(!batches.isEmpty)
        #expect(batches.allSatisfy { $0.codec == "gzip" })
    }
}
