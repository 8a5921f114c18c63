import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// The example pipelines in `pipelines/`: their own `tests:` pass under `weir test`, and
/// each runs end to end with `--once` on the samples in the repository.
@Suite("Example pipelines")
struct ExamplePipelineTests {
    static let examples = ["ssh-failed-logins", "hdfs-blocks", "apache-levels", "java-exceptions", "ssh-bruteforce", "hdfs-block-stats"]

    @Test("weir test runs every example's tests: cases and they pass")
    func configTests() throws {
        let files = (Self.examples + ["ssh-audit", "ssh-masked", "ssh-to-sqlite", "sqlite-invalid-users", "nginx-to-postgres"]).map {
            Paths.packageRoot + "/pipelines/\($0).yaml"
        }
        let result = try run(Paths.weir, ["test"] + files)
        #expect(result.status == 0, "\(result.stdoutText)")
        let passes = result.stdoutText.split(separator: "\n").filter { $0.hasPrefix("PASS ") }
        #expect(passes.count >= 2 * Self.examples.count)
        #expect(result.stdoutText.hasSuffix("\(passes.count) passed, 0 failed\n"))
    }

    @Test("a case that does not hold fails with what came out, and weir test exits 1")
    func failingCase() throws {
        let directory = TemporaryDirectory()
        let text = try String(contentsOfFile: Paths.packageRoot + "/pipelines/ssh-failed-logins.yaml", encoding: .utf8)
            .replacingOccurrences(of: #"'.user == "root"'"#, with: #"'.user == "admin"'"#)
        let path = try directory.write("broken.yaml", text)
        let result = try run(Paths.weir, ["test", path])
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("FAIL \(path):54: root is a user like any other"))
        #expect(
            result.stdoutText.contains(
                #"does not satisfy .user == "admin": {"message":"Failed password for root from 5.36.59.76 port 42393 ssh2","user":"root","ip":"5.36.59.76""#
            ))
    }

    @Test("conditions with no record to check fail, unless count: 0 says none comes")
    func conditionsOverNoRecords() throws {
        let directory = TemporaryDirectory()
        let path = try directory.write(
            "t.yaml",
            """
            topics: { raw: {} }
            transforms:
              kept: { type: filter, inputs: [raw], condition: '.message == "keep"' }
            sinks:
              out: { type: blackhole, inputs: [kept] }
            tests:
              - name: dropped, so nothing to check
                input: { at: raw, lines: [drop] }
                expect: { from: kept, conditions: ['.message == "keep"'] }
              - name: kept and checked
                input: { at: raw, lines: [keep] }
                expect: { from: kept, conditions: ['.message == "keep"'] }
            """)
        let result = try run(Paths.weir, ["test", path])
        #expect(result.status == 1)
        #expect(
            result.stdoutText.contains(
                "FAIL \(path):7: dropped, so nothing to check\n  no records came from 'kept' for the conditions to check"),
            "\(result.stdoutText)")
        #expect(result.stdoutText.hasSuffix("1 passed, 1 failed\n"), "\(result.stdoutText)")
    }

    @Test("a bad tests: section is a validation error with its position")
    func badTestsSection() throws {
        let directory = TemporaryDirectory()
        let path = try directory.write(
            "t.yaml",
            """
            topics: { raw: {} }
            transforms:
              up: { type: set, inputs: [raw], fields: { x: '1' } }
            sinks:
              out: { type: blackhole, inputs: [up] }
            tests:
              - name: wrong place
                input: { at: nowhere, lines: [a] }
                expect: { from: upp, conditions: ['.x =='] }
            """)
        let result = try run(Paths.weir, ["validate", path])
        #expect(result.status == 1)
        #expect(
            result.stdoutText.contains(
                "t.yaml:8:18: test 'wrong place' puts records at 'nowhere', which is neither a topic nor a transform"))
        #expect(
            result.stdoutText.contains(
                "t.yaml:9:21: test 'wrong place' expects records from 'upp', which is not a transform output (did you mean 'up'?)"))
        #expect(result.stdoutText.contains("t.yaml:9:45: condition of test 'wrong place': expected a value"))
        #expect(!result.stdoutText.contains("checks nothing"))
    }

    @Test("every example runs end to end with --once on the repository's samples")
    func runOnce() throws {
        let directory = TemporaryDirectory()
        let environment = ["WEIR_SAMPLES": Paths.packageRoot + "/samples", "WEIR_OUT": directory.path + "/out"]
        for example in Self.examples {
            let result = try runPipeline(
                at: Paths.packageRoot + "/pipelines/\(example).yaml", data: directory.path + "/data", environment: environment)
            #expect(result.status == 0, "\(example): \(result.stderr)")
        }
        let out = directory.path + "/out/"
        let failed = lines(of: try Data(contentsOf: URL(fileURLWithPath: out + "ssh-failed-logins.jsonl")))
        let source = lines(of: try Data(contentsOf: URL(fileURLWithPath: Paths.packageRoot + "/samples/loghub/OpenSSH_2k.log")))
        #expect(failed.count >= source.filter { $0.contains("]: Failed password for") }.count - 3)
        #expect(failed.allSatisfy { $0.contains("\"ip\":\"") && $0.contains("\"user\":\"") })
        let blocks = lines(of: try Data(contentsOf: URL(fileURLWithPath: out + "hdfs-blocks.jsonl")))
        #expect(blocks.count == 2000 && blocks.allSatisfy { $0.contains("\"block\":\"blk_") })
        let javaErrors = lines(of: try Data(contentsOf: URL(fileURLWithPath: out + "java-errors.jsonl")))
        #expect(javaErrors.count == 3)
        #expect(javaErrors.filter { $0.contains("\"has_trace\":true") }.count == 2)
        // Apache errors went to their own topic.
        let errors = try run(Paths.weir, ["consume", "apache_error", "--data-dir", directory.path + "/data"])
        let apache = lines(of: try Data(contentsOf: URL(fileURLWithPath: Paths.packageRoot + "/samples/loghub/Apache_2k.log")))
        #expect(lines(of: errors.stdout).count == apache.filter { $0.contains("] [error] ") }.count)
        // Brute force: counted here from the log, per IP and minute of the line's time,
        // the minutes the last line's time (less the 5 s lateness) has closed.
        var perMinute: [String: Int] = [:]
        var latest = 0
        for line in source {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            let clock = parts[2].split(separator: ":").compactMap { Int($0) }
            let seconds = Int(parts[1])! * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2]
            latest = max(latest, seconds)
            guard line.contains("]: Failed password for"), let from = line.range(of: " from ") else { continue }
            let ip = line[from.upperBound...].prefix { $0 != " " }
            perMinute["\(ip) \(seconds / 60)", default: 0] += 1
        }
        let expected = perMinute.filter { key, count in
            count >= 5 && (Int(key.split(separator: " ")[1])! + 1) * 60 <= latest - 5
        }
        let alerts = lines(of: try Data(contentsOf: URL(fileURLWithPath: out + "ssh-bruteforce-alerts.jsonl")))
        #expect(alerts.count == expected.count && !alerts.isEmpty)
        #expect(alerts.map { Int($0.split(separator: "\"failures\":")[1].prefix { $0.isNumber })! }.sorted() == expected.values.sorted())
        // HDFS block events per component and 5 minutes, counted here: the windows the last
        // line's time (less the 1 minute lateness) has closed.
        let hdfs = lines(of: try Data(contentsOf: URL(fileURLWithPath: Paths.packageRoot + "/samples/loghub/HDFS_2k.log")))
        var perWindow: [String: Int] = [:]
        var newest = 0
        for line in hdfs {
            let parts = line.split(separator: " ", maxSplits: 4)
            let (date, time) = (Array(parts[0].utf8), Array(parts[1].utf8))
            func two(_ bytes: [UInt8], _ at: Int) -> Int { Int(bytes[at] - 48) * 10 + Int(bytes[at + 1] - 48) }
            let seconds = (two(date, 4) * 86_400) + two(time, 0) * 3600 + two(time, 2) * 60 + two(time, 4)
            newest = max(newest, seconds)
            guard line.range(of: #"blk_-?[0-9]+"#, options: .regularExpression) != nil else { continue }
            let component = String(parts[4].prefix { $0 != ":" })
            perWindow["\(component) \(seconds / 300)", default: 0] += 1
        }
        let closed = perWindow.filter { key, _ in (Int(key.split(separator: " ").last!)! + 1) * 300 <= newest - 60 }
        let stats = lines(of: try Data(contentsOf: URL(fileURLWithPath: out + "hdfs-block-stats.jsonl")))
        #expect(stats.count == closed.count)
        #expect(stats.map { Int($0.split(separator: "\"events\":")[1].prefix { $0.isNumber })! }.sorted() == closed.values.sorted())
    }
}
