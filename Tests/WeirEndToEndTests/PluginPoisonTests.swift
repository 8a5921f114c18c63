import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// A record that makes a transform plugin crash (issue 12): the request that held it is
/// sent again in halves until the record is alone, and only that record is dead-lettered,
/// wherever it falls in the batch; a plugin that fails on everything stops the run.
@Suite("plugins: poison records")
struct PluginPoisonTests {
    /// Prefixes each message with "ok: "; dies (status 1) on a message in `poison`, or on
    /// every message once `fail_from` messages have gone through one of its processes.
    static let poisonous = """
        def handle(record, options):
            message = record["fields"]["message"]
            if message in options["poison"]:
                print(f"dying on {message}", file=sys.stderr, flush=True)
                os._exit(1)
            if options["fail_from"] >= 0 and int(message.split()[-1]) >= options["fail_from"]:
                os._exit(1)
            record["fields"]["message"] = "ok: " + message
            return record
        weir_plugin.run_transform(handle)
        """

    /// A bench reading `lines` (in.log) through the `poisonous` plugin into out.txt.
    func bench(lines: [String], poison: [String], failFrom: Int = -1) throws -> PluginBench {
        let bench = PluginBench()
        try bench.plugin(
            "poisonous", kind: "transform",
            options: """
                  poison: { type: list, default: [] }
                  fail_from: { type: integer, default: -1 }
                """, python: Self.poisonous)
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: bench.root + "/in.log"))
        let poisonList = poison.map { "\"\($0)\"" }.joined(separator: ", ")
        try bench.write(
            """
            name: p
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(bench.root)/in.log"], topic: raw }
            transforms:
              ok: { type: poisonous, inputs: [raw], poison: [\(poisonList)]\(failFrom >= 0 ? ", fail_from: \(failFrom)" : ""), timeout_ms: 5000 }
            sinks:
              out: { type: file, inputs: [ok], path: "\(bench.root)/out.txt", encoding: text }
            """)
        return bench
    }

    /// Every good line reached the sink exactly once, and only the poison ones are dead
    /// letters, each with the reason.
    func expectOnlyPoisonDeadLettered(_ bench: PluginBench, _ result: CommandResult, lines: [String], poison: [String]) throws {
        #expect(result.status == 0, "\(result.stderr)")
        let good = lines.filter { !poison.contains($0) }
        #expect(try bench.output().sorted() == good.map { "ok: " + $0 }.sorted())
        let letters = try bench.deadLetters()
        #expect(letters.map(\.value).sorted() == poison.map { #"{"message":"\#($0)"}"# }.sorted())
        for letter in letters {
            #expect(letter.reason.hasPrefix("plugin poisonous: it exited with status 1 without answering batch "), "\(letter.reason)")
            #expect(
                letter.reason.range(of: #", a request of this record alone \(it failed \d+ times with it\)$"#, options: .regularExpression)
                    != nil, "\(letter.reason)")
        }
        #expect(result.stderr.contains("appended \(lines.count) records, wrote \(good.count), \(poison.count) failed"), "\(result.stderr)")
        // Halving a request of 250 takes 8 restarts, and the record alone one more.
        let restarts = result.stderr.components(separatedBy: "; restarting it").count - 1
        #expect(restarts <= poison.count * 9, "\(restarts) restarts")
    }

    @Test(
        "a record that crashes the plugin is dead-lettered alone, first, in the middle or last in its batch; every other record reaches the sink once",
        arguments: [[0], [1_000], [1_999], [3, 700, 701, 1_500, 1_999]])
    func poisonRecords(at positions: [Int]) throws {
        let lines = (0..<2_000).map { "line \($0)" }
        let poison = positions.map { lines[$0] }
        let bench = try bench(lines: lines, poison: poison)
        let result = try bench.run()
        try expectOnlyPoisonDeadLettered(bench, result, lines: lines, poison: poison)
        #expect(result.stderr.contains("weir: plugin poisonous: dying on \(poison[0])"))
        #expect(result.stderr.contains("; restarting it and sending the 250 records of batch "), "\(result.stderr)")
        #expect(result.stderr.contains("; restarting it without the record of batch "), "\(result.stderr)")
    }

    @Test("the crash on line 956 of OpenSSH_2k.log costs that line alone, not the 1,249 after it")
    func openSSHLine956() throws {
        let lines = WeirTestSupport.lines(
            of: try Data(contentsOf: URL(fileURLWithPath: Paths.packageRoot + "/samples/loghub/OpenSSH_2k.log")))
        let poison = [lines[955]]
        #expect(poison[0].hasSuffix("Accepted password for fztu from 119.137.62.142 port 49116 ssh2"))
        let bench = try bench(lines: lines, poison: poison)
        let result = try bench.run()
        try expectOnlyPoisonDeadLettered(bench, result, lines: lines, poison: poison)
    }

    @Test(
        "a plugin that fails on every record after some went through stops the run with one line, after a bounded number of restarts, committing nothing of the batch"
    )
    func failsOnEverything() throws {
        let lines = (0..<2_000).map { "line \($0)" }
        let bench = try bench(lines: lines, poison: [], failFrom: 1_000)
        let result = try bench.run()
        #expect(result.status == 1)
        let pluginFile = bench.root + "/plugins/poisonous/plugin.yaml"
        #expect(
            result.stderr.contains(
                "weir: p: sink 'out': transform 'ok': plugin poisonous (\(pluginFile)) fails on every record: 10 records in a row made it fail, each sent alone, with nothing answered in between (the last time: it exited with status 1 without answering batch "
            ), "\(result.stderr)")
        let restarts = result.stderr.components(separatedBy: "; restarting it").count - 1
        #expect(restarts < 40, "\(restarts) restarts")
        #expect(try bench.output().isEmpty, "nothing of the batch is written")
        #expect(try bench.deadLetters().isEmpty)
    }

    @Test("a plugin whose first records all crash it, before it ever answered, cannot run: the run stops and nothing is dead-lettered")
    func firstRecordsAllPoison() throws {
        let lines = (0..<100).map { "line \($0)" }
        let bench = try bench(lines: lines, poison: Array(lines.prefix(3)))
        let result = try bench.run()
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "plugin poisonous (\(bench.root)/plugins/poisonous/plugin.yaml) cannot run: it never answered, and every record sent to it alone made it fail"
            ), "\(result.stderr)")
        #expect(try bench.deadLetters().isEmpty)
    }
}
