import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// The protocol's faults, injected by purpose-built plugins: each test shows the run
/// goes on (or stops with one clear line when the plugin cannot run at all), that no
/// record is lost, and where the retried or dead-lettered records went.
@Suite("plugins: faults")
struct PluginFaultTests {
    /// A transform plugin that upper-cases messages, with one fault on its second batch
    /// (once: a marker file in its folder remembers it), or a fault for good.
    static let faulty = """
        mode, batches, started = None, 0, time.monotonic()
        for line in sys.stdin:
            message = json.loads(line)
            if message["type"] == "init":
                mode = message["options"]["mode"]
                if mode == "crash_at_start":
                    sys.exit(1)
                continue
            if message["type"] != "batch":
                break
            batches += 1
            if batches == 2 and not os.path.exists("fault.done"):
                open("fault.done", "w").close()
                if mode == "exit":
                    os._exit(3)
                if mode == "hang":
                    time.sleep(3600)
                if mode == "garbage":
                    print("this is not a reply " + "x" * 500)
                    continue
            if mode == "refuse_for_long" and time.monotonic() - started >= 3:
                # Refusals since the start: the pause before the next try is now 3.2 s or more.
                open("paused.done", "w").close()
            if mode in ("fail_every", "refuse_for_long"):
                print(json.dumps({"id": message["id"], "error": "refusing every batch"}))
                continue
            records = [dict(r, fields=dict(r["fields"], message=r["fields"]["message"].upper())) for r in message["records"]]
            print(json.dumps({"id": message["id"], "records": records}))
        """

    /// 10,000 lines: three batches of the sink's 4,000.
    static let lineCount = 10_000
    static var shouted: [String] { (0..<lineCount).map { "LINE \($0)" } }

    func transformBench(mode: String) throws -> PluginBench {
        let bench = PluginBench()
        try bench.plugin("faulty", kind: "transform", options: "  mode: { type: string, required: true }", python: Self.faulty)
        try bench.input(Self.lineCount)
        try bench.write(
            """
            name: p
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(bench.root)/in.log"], topic: raw }
            transforms:
              up: { type: faulty, inputs: [raw], mode: \(mode), timeout_ms: 500 }
            sinks:
              out: { type: file, inputs: [up], path: "\(bench.root)/out.txt", encoding: text }
            """)
        return bench
    }

    /// With the fault taken out of the plugin's mode, the next run gets every record once.
    func expectEveryRecordOnceFixed(_ bench: PluginBench, mode: String) throws {
        try bench.edit("mode: \(mode)", "mode: upper")
        let again = try bench.run()
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try bench.output().sorted() == Self.shouted.sorted())
    }

    @Test(
        "a plugin that exits, hangs or writes garbage on a batch is restarted and the batch sent again: every record once",
        arguments: [
            (
                "exit",
                "it exited with status 3 without answering batch 2; restarting it and sending the 250 records of batch 2 again as two requests"
            ),
            ("hang", "it did not answer within 500 ms; restarting it and sending the 250 records of batch 2 again as two requests"),
            ("garbage", "it wrote a line that is not the reply to batch 2: this is not a reply xxx"),
        ])
    func restartAndResend(mode: String, message: String) throws {
        let bench = try transformBench(mode: mode)
        let result = try bench.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("weir: plugin faulty: " + message), "\(result.stderr)")
        if mode == "garbage" { #expect(result.stderr.contains("… (520 bytes)"), "the offending line is shown truncated") }
        #expect(try bench.output().sorted() == Self.shouted.sorted())
        #expect(try bench.deadLetters().isEmpty)
        #expect(result.stderr.contains("appended 10000 records, wrote 10000, 0 failed"))
    }

    @Test("a plugin that refuses every batch: each is tried max_attempts times, then every record is dead-lettered with the reason")
    func failEveryBatch() throws {
        let bench = try transformBench(mode: "fail_every")
        let result = try bench.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("weir: plugin faulty: batch 1 refused: refusing every batch (attempt 3 of 3)"))
        #expect(try bench.output().isEmpty)
        let letters = try bench.deadLetters()
        #expect(letters.count == Self.lineCount)
        #expect(letters.allSatisfy { $0.reason == "plugin faulty: refusing every batch" })
        #expect(Set(letters.map(\.value)) == Set((0..<Self.lineCount).map { #"{"message":"line \#($0)"}"# }))
        #expect(result.stderr.contains("appended 10000 records, wrote 0, 10000 failed"))
    }

    @Test(
        "a plugin that crashes at every start stops the run with one clear line after a few restarts, commits nothing, and a fixed plugin then gets every record"
    )
    func crashAtStart() throws {
        let bench = try transformBench(mode: "crash_at_start")
        let result = try bench.run()
        #expect(result.status == 1)
        let pluginFile = bench.root + "/plugins/faulty/plugin.yaml"
        #expect(
            result.stderr.contains(
                "weir: p: sink 'out': transform 'up': plugin faulty (\(pluginFile)) cannot run: it never answered, and every record sent to it alone made it fail (the last time: it exited with status 1 without answering batch "
            ), "\(result.stderr)")
        // Halving the first request (8 restarts), then the first three records alone.
        let restarts = result.stderr.components(separatedBy: "; restarting it").count - 1
        #expect(restarts <= 13, "\(restarts) restarts")
        #expect(try bench.output().isEmpty)
        #expect(try bench.deadLetters().isEmpty)

        try expectEveryRecordOnceFixed(bench, mode: "crash_at_start")
    }

    @Test(
        "a stop while a plugin hangs: the drain timeout cuts the wait short, nothing of that batch is committed, and the next run gets every record once"
    )
    func abortWhileHanging() throws {
        let bench = try transformBench(mode: "hang")
        try bench.edit("timeout_ms: 500", "timeout_ms: 600000")
        let child = try ChildProcess(Paths.weir, ["run", "--quiet", "--drain-timeout", "1", "--data-dir", bench.data, bench.pipeline])
        let errors = DataReader(child.stderr)
        // The plugin hangs in its second batch.
        for _ in 0..<2_000 where !FileManager.default.fileExists(atPath: bench.root + "/plugins/faulty/fault.done") { usleep(5_000) }
        let stopped = Date()
        kill(child.pid, SIGTERM)
        let status = child.wait()
        let seconds = Date().timeIntervalSince(stopped)
        let text = String(decoding: errors.finish(), as: UTF8.self)
        #expect(status == 0, "\(text)")
        #expect(seconds < 10, "the 600 s timeout was cut short by the drain timeout: \(seconds) s")
        #expect(!text.contains("cannot run"), "\(text)")
        #expect(try bench.output().count < Self.lineCount)

        try expectEveryRecordOnceFixed(bench, mode: "hang")
    }

    @Test("a stop while a refusing plugin's records wait out a long pause: the drain timeout cuts the pause short")
    func abortWhilePaused() throws {
        let bench = try transformBench(mode: "refuse_for_long")
        try bench.edit("timeout_ms: 500", "timeout_ms: 500, max_attempts: 100")
        let child = try ChildProcess(Paths.weir, ["run", "--quiet", "--drain-timeout", "1", "--data-dir", bench.data, bench.pipeline])
        let errors = DataReader(child.stderr)
        let marker = bench.root + "/plugins/faulty/paused.done"
        for _ in 0..<4_000 where !FileManager.default.fileExists(atPath: marker) { usleep(5_000) }
        #expect(FileManager.default.fileExists(atPath: marker))
        let stopped = Date()
        kill(child.pid, SIGTERM)
        let status = child.wait()
        let seconds = Date().timeIntervalSince(stopped)
        let text = String(decoding: errors.finish(), as: UTF8.self)
        #expect(status == 0, "\(text)")
        // The pause under way is 3.2 s or more; the abort 1 s after the stop ends it.
        #expect(seconds < 2.9, "the pause was not cut short by the drain timeout: \(seconds) s")
        #expect(try bench.output().isEmpty)
        #expect(try bench.deadLetters().isEmpty)
    }

    @Test("weir test fails a case whose plugin cannot run, even when the case only has conditions")
    func testCommandWithBrokenPlugin() throws {
        let bench = PluginBench()
        try bench.plugin("missing", kind: "transform", python: "sys.exit(2)\n")
        try bench.write(
            """
            topics: { raw: {} }
            transforms:
              t: { type: missing, inputs: [raw] }
            sinks:
              out: { type: blackhole, inputs: [t] }
            tests:
              - name: nothing comes out
                input: { at: raw, lines: [a] }
                expect: { from: t, count: 0 }
            """)
        let result = try WeirTestSupport.run(Paths.weir, ["test", bench.pipeline])
        #expect(result.status == 1)
        #expect(
            result.stdoutText.contains(
                "cannot run: it never answered, and every record sent to it alone made it fail (the last time: it exited with status 2"),
            "\(result.stdoutText)")
    }

    @Test("at the end a plugin gets the close message, then SIGTERM, then SIGKILL: one that ignores both is still stopped")
    func shutdown() throws {
        let bench = PluginBench()
        try bench.plugin(
            "stubborn", kind: "transform",
            python: """
                import signal
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                with open("pid.txt", "w") as f:
                    f.write(str(os.getpid()))
                for line in sys.stdin:
                    message = json.loads(line)
                    if message["type"] == "close":
                        print("got close", file=sys.stderr, flush=True)
                        break
                    if message["type"] == "batch":
                        print(json.dumps({"id": message["id"], "records": message["records"]}), flush=True)
                while True:
                    time.sleep(1)
                """)
        try bench.input(100)
        try bench.write(
            """
            name: p
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(bench.root)/in.log"], topic: raw }
            transforms:
              same: { type: stubborn, inputs: [raw] }
            sinks:
              out: { type: file, inputs: [same], path: "\(bench.root)/out.txt", encoding: text }
            """)
        let result = try bench.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try bench.output().count == 100)
        #expect(
            result.stderr.contains(
                """
                weir: plugin stubborn: got close
                weir: plugin stubborn: still running 2000 ms after the close message; sending SIGTERM
                weir: plugin stubborn: still running 2000 ms after SIGTERM; sending SIGKILL

                """), "\(result.stderr)")
        let pid = try #require(pid_t(try String(contentsOfFile: bench.root + "/plugins/stubborn/pid.txt", encoding: .utf8)))
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "the plugin is gone (and reaped)")
    }

    @Test("parallelism: 3 runs three processes of a transform plugin, and every record comes out once")
    func parallelProcesses() throws {
        let bench = PluginBench()
        try bench.plugin(
            "pids", kind: "transform",
            python: """
                def tag(record, options):
                    record["fields"]["pid"] = os.getpid()
                    return record
                weir_plugin.run_transform(tag)
                """)
        try bench.input(30_000)
        try bench.write(
            """
            name: p
            topics: { raw: { partitions: 3 } }
            sources:
              f: { type: file, paths: ["\(bench.root)/in.log"], topic: raw }
            transforms:
              tagged: { type: pids, inputs: [raw], parallelism: 3 }
            sinks:
              out: { type: file, inputs: [tagged], path: "\(bench.root)/out.txt", encoding: json }
            """)
        let result = try bench.run()
        #expect(result.status == 0, "\(result.stderr)")
        let out = try bench.output()
        #expect(out.count == 30_000)
        let pids = Set(out.compactMap { line in line.range(of: #""pid":\d+"#, options: .regularExpression).map { String(line[$0]) } })
        #expect(pids.count == 3, "\(pids)")
    }

    @Test("a sink plugin that exits mid-batch gets the batch again; records it refuses by index go to the dead-letter topic")
    func sinkFaults() throws {
        let bench = PluginBench()
        // Stores "<partition>/<offset> <message>" lines, dying halfway through its second
        // batch once; refuses messages ending in 7.
        try bench.plugin(
            "store", kind: "sink", options: "  path: { type: string, required: true }",
            python: """
                batches = 0
                def store(records, out):
                    global batches
                    batches += 1
                    refused = []
                    for index, record in enumerate(records):
                        if record["fields"]["message"].endswith("7"):
                            refused.append((index, "sevens are not stored"))
                            continue
                        out.write(f'{record["partition"]}/{record["offset"]} {record["fields"]["message"]}\\n')
                        if batches == 2 and index == len(records) // 2 and not os.path.exists("fault.done"):
                            open("fault.done", "w").close()
                            out.flush()
                            os._exit(9)
                    out.flush()
                    return refused
                weir_plugin.run_sink(store, setup=lambda options: open(options["path"], "a"))
                """)
        try bench.input(Self.lineCount)
        try bench.write(
            """
            name: p
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(bench.root)/in.log"], topic: raw }
            sinks:
              out: { type: store, inputs: [raw], path: "\(bench.root)/stored.txt" }
            """)
        let result = try bench.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("weir: plugin store: it exited with status 9 without answering batch 2; restarting it"))
        let stored = try bench.output("stored.txt")
        // At least once into the plugin; keyed by partition/offset it is exactly once.
        var byKey: [String: String] = [:]
        for line in stored {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            #expect(byKey[parts[0]] == nil || byKey[parts[0]] == parts[1])
            byKey[parts[0]] = parts[1]
        }
        let kept = (0..<Self.lineCount).map { "line \($0)" }.filter { !$0.hasSuffix("7") }
        #expect(byKey.values.sorted() == kept.sorted())
        #expect(stored.count > kept.count, "the half-stored batch was sent again")
        let letters = try bench.deadLetters()
        #expect(letters.count == Self.lineCount / 10)
        #expect(letters.allSatisfy { $0.reason == "plugin store: sevens are not stored" })
    }

    /// A source plugin counting to `total` in batches of 50, position = the count so far,
    /// writing its pid to pids.txt; with `crash_after` it exits (once) after the batch that
    /// passes that count.
    static let counter = """
        with open("pids.txt", "a") as pids:
            pids.write(f"{os.getpid()}\\n")
        init = json.loads(sys.stdin.readline())
        options, position = init["options"], init["position"] or 0
        total, crash_after = options["total"], options.get("crash_after", -1)
        while position < total:
            batch = list(range(position + 1, min(position + 50, total) + 1))
            print(json.dumps({"records": [{"value": f"row {n}"} for n in batch], "position": batch[-1]}))
            position = batch[-1]
            if 0 <= crash_after < position and not os.path.exists("fault.done"):
                open("fault.done", "w").close()
                sys.stdout.write('{"records": [{"value": "half a li')  # a torn last line
                os._exit(5)
            time.sleep(options.get("pause_ms", 0) / 1000)
        print(json.dumps({"type": "end"}))
        """

    func sourceBench(total: Int, extra: String) throws -> PluginBench {
        let bench = PluginBench()
        try bench.plugin(
            "counter", kind: "source",
            options: """
                  total: { type: integer, required: true }
                  crash_after: { type: integer }
                  pause_ms: { type: integer }
                """, python: Self.counter)
        try bench.write(
            """
            name: p
            topics: { rows: { partitions: 2 } }
            sources:
              c: { type: counter, topic: rows, total: \(total)\(extra) }
            sinks:
              out: { type: file, inputs: [rows], path: "\(bench.root)/out.txt", encoding: text }
            """)
        return bench
    }

    @Test("a source plugin that crashes is restarted from its stored position: no gap, no repeat")
    func sourceCrash() throws {
        let bench = try sourceBench(total: 2_000, extra: ", crash_after: 1000")
        let result = try bench.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("weir: plugin counter: it exited with status 5; restarting it from its last stored position"))
        let out = try bench.output()
        #expect(out.count == 2_000)
        #expect(Set(out) == Set((1...2_000).map { "row \($0)" }))
    }

    @Test("a source plugin killed with SIGKILL along with the runner resumes from its stored position: no gap, no repeat")
    func sourceKill() throws {
        let bench = try sourceBench(total: 20_000, extra: ", pause_ms: 5")
        var random = SeededGenerator(seed: 11)
        let kills = 6
        let pidFile = bench.root + "/plugins/counter/pids.txt"
        func pids() -> [pid_t] {
            ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
        }
        for run in 0..<kills {
            let child = try ChildProcess(
                Paths.weir, ["run", "--quiet", "--data-dir", bench.data, bench.pipeline],
                environment: ["SWIFT_BACKTRACE": "enable=no"])
            let errors = DataReader(child.stderr)
            // Once this run's plugin has started, kill both somewhere in its stream.
            for _ in 0..<2_000 where pids().count <= run { usleep(5_000) }
            usleep(UInt32.random(in: 20_000...500_000, using: &random))
            kill(child.pid, SIGKILL)
            if let last = pids().last { kill(last, SIGKILL) }
            #expect(child.wait() == 128 + SIGKILL)
            _ = errors.finish()
        }
        let last = try bench.run()
        #expect(last.status == 0, "\(last.stderr)")
        let out = try bench.output()
        var seen = Set<String>()
        let repeated = out.filter { !seen.insert($0).inserted }
        #expect(repeated.isEmpty, "repeated: \(repeated.prefix(5))")
        #expect(seen == Set((1...20_000).map { "row \($0)" }), "missing: \(Set((1...20_000).map { "row \($0)" }).subtracting(seen).count)")
        #expect(pids().count == kills + 1)
    }
}
