import Foundation
import Testing
import WeirTestSupport

/// `aggregate` under `kill -9`: its state is committed with the sink's offsets, so runs
/// killed at random moments and then run to the end write exactly the windows one
/// uninterrupted run writes, and those are the windows computed here from the input.
@Suite("aggregate across kill -9")
struct AggregateCrashTests {
    static let lineCount = 60_000
    static let kills = 5

    /// Line i: ip `i*7 % 13`, event time 50 ms after the one before, out of order by up to
    /// 2 s (inside the 3 s lateness), bytes `i % 100`.
    static func input() -> (text: String, times: [Int64]) {
        var random = SeededGenerator(seed: 42)
        var text = ""
        var times: [Int64] = []
        for i in 0..<lineCount {
            let time = 1_700_000_000_000 + Int64(i) * 50 - Int64(random.next() % 2_000)
            times.append(time)
            text += #"{"ip":"10.0.0.\#(i * 7 % 13)","ts":\#(time),"bytes":\#(i % 100)}"# + "\n"
        }
        return (text, times)
    }

    static func pipeline(_ directory: TemporaryDirectory, input: String, output: String) throws -> String {
        try directory.write(
            "agg-\(UUID().uuidString).yaml",
            """
            name: agg
            topics: { raw: { partitions: 1 } }
            sources:
              f: { type: file, paths: ["\(input)"], topic: raw }
            transforms:
              parsed: { type: parse_json, inputs: [raw] }
              per_ip:
                type: aggregate
                inputs: [parsed]
                group_by: [ip]
                timestamp_field: ts
                window: { tumbling: 10s }
                allowed_lateness: 3s
                aggregations:
                  n: { count: {} }
                  bytes: { sum: bytes }
            sinks:
              out: { type: file, inputs: [per_ip], path: "\(output)", encoding: json }
            """)
    }

    @Test("runs killed at random moments, then run to the end, write each window once, as computed offline")
    func killedRunsWriteEachWindowOnce() throws {
        let directory = TemporaryDirectory()
        let (text, times) = Self.input()
        let input = try directory.write("in.jsonl", text)

        // One uninterrupted run.
        let whole = directory.path + "/whole.jsonl"
        let reference = try runPipeline(
            at: try Self.pipeline(directory, input: input, output: whole), data: directory.path + "/data-whole")
        #expect(reference.status == 0, "\(reference.stderr)")

        // Runs killed at random moments, then one to the end.
        let killed = directory.path + "/killed.jsonl"
        let pipeline = try Self.pipeline(directory, input: input, output: killed)
        let data = directory.path + "/data-killed"
        var random = SystemRandomNumberGenerator()
        var windowsAfterKill: [Int] = []
        for _ in 0..<Self.kills {
            let child = try ChildProcess(
                Paths.weir, ["run", "--once", "--quiet", "--data-dir", data, pipeline], environment: ["SWIFT_BACKTRACE": "enable=no"])
            let errors = DataReader(child.stderr)
            usleep(UInt32.random(in: 50_000...800_000, using: &random))
            kill(child.pid, SIGKILL)
            let status = child.wait()
            #expect(status == 128 + SIGKILL || status == 0, "\(String(decoding: errors.finish(), as: UTF8.self))")
            windowsAfterKill.append(lines(of: FileManager.default.contents(atPath: killed) ?? Data()).count)
        }
        let last = try runPipeline(at: pipeline, data: data)
        #expect(last.status == 0, "\(last.stderr)")

        let wholeLines = lines(of: try Data(contentsOf: URL(fileURLWithPath: whole)))
        let killedLines = lines(of: try Data(contentsOf: URL(fileURLWithPath: killed)))
        #expect(killedLines == wholeLines, "windows written after each kill: \(windowsAfterKill)")

        // Offline: every 10 s window per ip that the watermark (latest time - 3 s) closed.
        let watermark = times.max()! - 3_000
        var counts: [String: Int] = [:]
        for (i, time) in times.enumerated() {
            let start = time - ((time % 10_000) + 10_000) % 10_000
            guard start + 10_000 <= watermark else { continue }
            counts["\(start) 10.0.0.\(i * 7 % 13)", default: 0] += 1
        }
        var written: [String: Int] = [:]
        for line in wholeLines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let start = try #require(object["window_start"] as? String)
            let ip = try #require(object["ip"] as? String)
            written["\(Self.millis(start)) \(ip)", default: 0] += try #require(object["n"] as? Int)
        }
        #expect(written == counts)
        #expect(written.values.reduce(0, +) > Self.lineCount / 2)
        print("aggregate kill -9: windows in the output after each kill \(windowsAfterKill), \(wholeLines.count) in all")
    }

    static func millis(_ rfc3339: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return Int64((formatter.date(from: rfc3339)!.timeIntervalSince1970 * 1000).rounded())
    }
}
