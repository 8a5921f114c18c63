import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// A real `weir produce --flush always` process is killed with SIGKILL at random moments;
/// every append it acknowledged must be on disk, intact, with dense offsets.
@Suite("Crash safety under SIGKILL")
struct CrashTests {
    static let partitions = 2
    static let runs = 20

    @Test("every acknowledged record survives kill -9 of the producer")
    func killProducer() throws {
        let directory = TemporaryDirectory()
        let create = try weir(directory.path, ["topics", "create", "crash", "--partitions", "\(Self.partitions)", "--flush", "always"])
        #expect(create.status == 0, "\(create.stderr)")
        var random = SeededGenerator(seed: 2024)
        var acknowledged: [(run: Int, partition: Int, base: Int64, count: Int)] = []

        for runNumber in 0..<Self.runs {
            let acks = try produceAndKill(
                dataDir: directory.path, run: runNumber,
                afterMillis: Int.random(in: 30...400, using: &random))
            acknowledged += acks.map { (runNumber, $0.partition, $0.base, $0.count) }

            // Reopen (recovery runs, since the producer died) and check.
            let log = try EmbeddedLog(directory: directory.path)
            let topic = try log.topic("crash")
            let records = try readAll(topic)
            for partition in 0..<Self.partitions {
                let mine = records.filter { $0.partition == partition }
                #expect(mine.map(\.offset) == Array(0..<Int64(mine.count)), "offsets of partition \(partition) are not dense")
                // Within one run, partition p holds lines p, p+P, p+2P, … of that run, in order, with no gap.
                var byRun: [Int: [Int]] = [:]
                for record in mine {
                    let parts = String(decoding: record.record.value ?? [], as: UTF8.self).split(separator: " ")
                    #expect(parts.count == 3, "record is not intact: \(record)")
                    guard parts.count == 3, let r = Int(parts[0].dropFirst()), let n = Int(parts[1].dropFirst()) else { continue }
                    byRun[r, default: []].append(n)
                }
                for (r, numbers) in byRun {
                    #expect(
                        numbers == Array(stride(from: partition, to: partition + numbers.count * Self.partitions, by: Self.partitions)),
                        "run \(r), partition \(partition): lines missing or repeated")
                }
            }
            let byPartition = (0..<Self.partitions).map { p in records.filter { $0.partition == p } }
            for ack in acknowledged {
                let held = byPartition[ack.partition]
                let range = Int(ack.base)..<(Int(ack.base) + ack.count)
                #expect(range.upperBound <= held.count, "acknowledged \(ack) but partition \(ack.partition) ends at \(held.count)")
                guard range.upperBound <= held.count else { continue }
                #expect(
                    held[range].allSatisfy { String(decoding: $0.record.value ?? [], as: UTF8.self).hasPrefix("r\(ack.run) ") },
                    "acknowledged \(ack) holds other records")
            }
            try log.close()
        }
        #expect(acknowledged.count > Self.runs, "the producer should acknowledge appends before it is killed")
        let report = try LogVerifier(directory: directory.path).verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
    }

    /// Starts `weir produce`, feeds it lines as fast as it takes them, kills it with
    /// SIGKILL after `afterMillis`, and returns the appends it acknowledged.
    func produceAndKill(dataDir: String, run: Int, afterMillis: Int) throws -> [(partition: Int, base: Int64, count: Int)] {
        // No backtracer: it would outlive the SIGKILL holding our pipes open.
        let child = try ChildProcess(
            Paths.weir, ["produce", "crash", "--print-offsets", "--data-dir", dataDir],
            environment: ["SWIFT_BACKTRACE": "enable=no"])
        let feeder = Thread {
            var n = 0
            while true {
                var chunk = ""
                for _ in 0..<200 {
                    chunk += "r\(run) n\(n) payload-\(String(repeating: "x", count: n % 50))\n"
                    n += 1
                }
                do {
                    try child.stdin.write(contentsOf: Data(chunk.utf8))
                } catch {
                    return  // the producer is gone
                }
                // About 40,000 lines a second: enough for many appends per run, few enough to check quickly.
                usleep(5000)
            }
        }
        signal(SIGPIPE, SIG_IGN)
        feeder.start()
        let acks = DataReader(child.stdout)
        let errors = DataReader(child.stderr)
        usleep(useconds_t(afterMillis * 1000))
        kill(child.pid, SIGKILL)
        #expect(child.wait() == 128 + SIGKILL, "the producer must die by our SIGKILL, not by itself")
        let stderr = String(decoding: errors.finish(), as: UTF8.self)
        #expect(!stderr.contains("Fatal error") && !stderr.contains("Error:"), "producer failed: \(stderr.prefix(500))")

        // Only complete lines count: the last one may be cut by the kill.
        var text = String(decoding: acks.finish(), as: UTF8.self)
        if !text.hasSuffix("\n"), let cut = text.lastIndex(of: "\n") {
            text = String(text[...cut])
        } else if !text.hasSuffix("\n") {
            text = ""
        }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").compactMap { Int64($0) }
            guard fields.count == 3 else { return nil }
            return (Int(fields[0]), fields[1], Int(fields[2]))
        }
    }
}
