import Foundation
import Testing
import WeirTestSupport

@testable import WeirServer
@testable import weir

/// `weir run --http`: /metrics parsed by a real Prometheus parser, /health and /ready,
/// the API and the tap, and `weir top` in a real terminal (tmux).
@Suite("operating weir: metrics, health, tap, top")
struct OperationsTests {
    /// `first` lines of the loghub OpenSSH log, CRLF and all.
    static func sshLines(_ range: Range<Int>) throws -> Data {
        let all = try Data(contentsOf: URL(fileURLWithPath: Paths.loghub + "/OpenSSH_2k.log"))
        let lines = all.split(separator: 0x0a, omittingEmptySubsequences: false)
        return Data(lines[range].map { Data($0) + Data([0x0a]) }.joined())
    }

    static func append(_ data: Data, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
        try handle.close()
    }

    @Test("/metrics parses with prometheus_client; counters follow the records, group lag rises while the sink is held and falls to zero")
    func metricsFollowTheRecords() throws {
        let bench = PluginBench()
        // A transform that holds every batch until the gate file exists: the records
        // wait in the topic, so the lag is exactly what was appended.
        try bench.plugin(
            "gate", kind: "transform", options: "  gate: { type: string, required: true }\n",
            python: """
                def hold(record, options):
                    while not os.path.exists(options["gate"]):
                        time.sleep(0.02)
                    return record
                weir_plugin.run_transform(hold)
                """)
        let input = bench.root + "/in.log"
        let gate = bench.root + "/gate"
        _ = FileManager.default.createFile(atPath: input, contents: nil)
        try bench.write(
            """
            name: ops
            topics:
              raw: { partitions: 2, compression: gzip }
            sources:
              auth:
                type: tail
                topic: raw
                paths: ["\(input)"]
                scan_interval_ms: 50
            transforms:
              held:
                type: gate
                inputs: [raw]
                gate: \(gate)
                timeout_ms: 600000
              parsed:
                type: parse_regex
                inputs: [held]
                pattern: '^(?<month>\\w{3})\\s+(?<day>\\d+) (?<time>\\S+) (?<host>\\S+) sshd\\[(?<pid>\\d+)\\]: (?<event>.*)$'
            sinks:
              out:
                type: file
                inputs: [parsed]
                path: \(bench.root)/out.jsonl
            """)
        let weir = try RunningWeir(bench)
        _ = try waitUntil("/ready says ready") { try weir.get("/ready").status == 200 ? true : nil }

        let first = try weir.scrape()
        for (family, type) in [
            ("weir_component_received_records", "counter"), ("weir_component_sent_records", "counter"),
            ("weir_component_received_bytes", "counter"), ("weir_component_errors", "counter"),
            ("weir_component_dead_lettered_records", "counter"), ("weir_component_running", "gauge"),
            ("weir_pipeline_running", "gauge"), ("process_resident_memory_bytes", "gauge"), ("process_open_fds", "gauge"),
            ("process_cpu_seconds", "counter"), ("process_start_time_seconds", "gauge"),
        ] {
            #expect(first.families[family] == type, "\(family)")
        }
        #expect(first.value("weir_component_sent_records_total", ["component": "auth"]) == 0)
        #expect(first.value("weir_pipeline_running", ["pipeline": "ops"]) == 1)
        #expect(first.value("weir_component_running", ["component": "auth"]) == 1)
        #expect(try #require(first.value("process_resident_memory_bytes")) > 1_000_000)
        #expect(try #require(first.value("process_open_fds")) > 3)

        // 1,000 lines go in; the sink is held, so all of them are lag.
        try Self.append(try Self.sshLines(0..<1000), to: input)
        // (Offsets and lag are sampled once a second; counters are live: wait for both.)
        let held = try waitUntil("the source appended 1,000 records and the sink waits") {
            let scrape = try weir.scrape()
            let settled =
                scrape.value("weir_partition_end_offset", ["topic": "raw"]) == 1000
                && scrape.value("weir_partition_appended_records_total", ["topic": "raw"]) == 1000
                && scrape.value("weir_group_lag_records", ["group": "ops.out"]) == 1000
                && scrape.value("weir_sink_lag_records", ["component": "out"]) == 1000
            return settled ? scrape : nil
        }
        #expect(held.value("weir_component_received_records_total", ["component": "auth"]) == 1000)
        #expect(held.value("weir_component_sent_records_total", ["component": "auth"]) == 1000)
        #expect(try #require(held.value("weir_component_received_bytes_total", ["component": "auth"])) > 50_000)
        #expect(held.value("weir_partition_appended_records_total", ["topic": "raw"]) == 1000)
        #expect(try #require(held.value("weir_partition_append_duration_seconds_count", ["topic": "raw"])) >= 1)
        #expect(held.value("weir_component_sent_records_total", ["component": "out"]) == 0)
        #expect(held.value("weir_group_lag_records", ["pipeline": "ops", "group": "ops.out", "topic": "raw"]) == 1000)
        #expect(held.value("weir_sink_lag_records", ["component": "out"]) == 1000)

        // Open the gate: everything flows and the lag falls to zero.
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        let drained = try waitUntil("the group's lag is zero and 1,000 records are through") {
            let scrape = try weir.scrape()
            let through =
                (scrape.value("weir_component_sent_records_total", ["component": "parsed"]) ?? 0)
                + (scrape.value("weir_component_errors_total", ["component": "parsed"]) ?? 0)
            let settled =
                through == 1000 && scrape.value("weir_group_lag_records", ["group": "ops.out"]) == 0
                && scrape.value("weir_sink_lag_records", ["component": "out"]) == 0
                && scrape.value("weir_component_sent_records_total", ["component": "out"])
                    == scrape.value("weir_component_sent_records_total", ["component": "parsed"])
            return settled ? scrape : nil
        }
        let parsed = try #require(drained.value("weir_component_sent_records_total", ["component": "parsed"]))
        let failed = try #require(drained.value("weir_component_errors_total", ["component": "parsed"]))
        #expect(drained.value("weir_component_received_records_total", ["component": "held"]) == 1000)
        #expect(drained.value("weir_component_sent_records_total", ["component": "held"]) == 1000)
        #expect(drained.value("weir_component_received_records_total", ["component": "parsed"]) == 1000)
        #expect(parsed + failed == 1000 && parsed > 900)
        #expect(drained.value("weir_component_dead_lettered_records_total", ["component": "parsed"]) == failed)
        #expect(drained.value("weir_component_sent_records_total", ["component": "out"]) == parsed)
        #expect(drained.value("weir_group_committed_offset", ["group": "ops.out", "topic": "raw"]) == 1000)
        #expect(try #require(drained.value("weir_sink_end_to_end_latency_seconds_count", ["component": "out"])) >= 1)
        #expect(drained.value("weir_sink_lag_records", ["component": "out"]) == 0)

        // The next 1,000: the counters move on, the lag falls back to zero.
        try Self.append(try Self.sshLines(1000..<2000), to: input)
        let again = try waitUntil("2,000 records are through") {
            let scrape = try weir.scrape()
            let through =
                (scrape.value("weir_component_sent_records_total", ["component": "parsed"]) ?? 0)
                + (scrape.value("weir_component_errors_total", ["component": "parsed"]) ?? 0)
            let settled =
                through == 2000 && scrape.value("weir_group_lag_records", ["group": "ops.out"]) == 0
                && scrape.value("weir_group_committed_offset", ["group": "ops.out"]) == 2000
                && scrape.value("weir_partition_appended_records_total", ["topic": "raw"]) == 2000
            return settled ? scrape : nil
        }
        #expect(again.value("weir_component_sent_records_total", ["component": "auth"]) == 2000)
        #expect(again.value("weir_partition_appended_records_total", ["topic": "raw"]) == 2000)
        #expect(again.value("weir_group_committed_offset", ["group": "ops.out", "topic": "raw"]) == 2000)
        #expect(try #require(again.value("process_cpu_seconds_total")) > 0)

        // The API agrees.
        let sink = try weir.component("ops", "out")
        #expect(sink["state"] as? String == "running")
        #expect(sink["sent_records"] as? Int == Int(try #require(again.value("weir_component_sent_records_total", ["component": "out"]))))
        _ = try waitUntil("the API's lag is sampled at zero") { try weir.component("ops", "out")["lag"] as? Int == 0 ? true : nil }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("weir_transform_state_bytes: the size of a stateful transform's state per input partition, as each commit writes it")
    func stateSize() throws {
        let bench = PluginBench()
        let input = bench.root + "/in.log"
        _ = FileManager.default.createFile(atPath: input, contents: nil)
        try bench.write(
            """
            name: windows
            topics:
              raw: { partitions: 1 }
            sources:
              auth: { type: tail, topic: raw, paths: ["\(input)"], scan_interval_ms: 50 }
            transforms:
              hosts:
                type: parse_regex
                inputs: [raw]
                pattern: '^\\w{3}\\s+\\d+ \\S+ (?<host>\\S+) sshd\\[(?<pid>\\d+)\\]'
              per_pid:
                type: aggregate
                inputs: [hosts]
                group_by: [pid]
                window: { tumbling: 1d }
                aggregations: { n: { count: {} } }
            sinks:
              out: { type: file, inputs: [per_pid], path: "\(bench.root)/out.jsonl" }
            """)
        let weir = try RunningWeir(bench)
        _ = try waitUntil("/ready says ready") { try weir.get("/ready").status == 200 ? true : nil }
        try Self.append(try Self.sshLines(0..<100), to: input)
        let labels = ["component": "per_pid", "sink": "out", "topic": "raw", "partition": "0"]
        let small = try waitUntil("the state of 100 lines is committed") {
            let scrape = try weir.scrape()
            return scrape.value("weir_group_committed_offset", ["group": "windows.out"]) == 100 ? scrape : nil
        }
        #expect(small.families["weir_transform_state_bytes"] == "gauge")
        let before = try #require(small.value("weir_transform_state_bytes", labels))
        #expect(before > 0)
        // More process ids: more groups open in the day's window, a bigger state.
        try Self.append(try Self.sshLines(100..<2000), to: input)
        let large = try waitUntil("the state of 2,000 lines is committed") {
            let scrape = try weir.scrape()
            return scrape.value("weir_group_committed_offset", ["group": "windows.out"]) == 2000 ? scrape : nil
        }
        #expect(try #require(large.value("weir_transform_state_bytes", labels)) > before)
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("/ready is 503 naming the source until the plugin source connects, then 200; /health is 200 throughout")
    func readiness() throws {
        let bench = PluginBench()
        let gate = bench.root + "/connected"
        try bench.plugin(
            "slow_db", kind: "source",
            python: """
                init = json.loads(sys.stdin.readline())
                while not os.path.exists(\(String(reflecting: gate))):
                    time.sleep(0.02)
                print(json.dumps({"type": "ready"}), flush=True)
                print(json.dumps({"records": [{"value": "row 1"}], "position": 1}), flush=True)
                for line in sys.stdin:
                    if json.loads(line).get("type") == "close":
                        break
                """)
        try bench.write(
            """
            name: ready
            topics:
              rows: { partitions: 1 }
            sources:
              db:
                type: slow_db
                topic: rows
            sinks:
              out:
                type: file
                inputs: [rows]
                path: \(bench.root)/out.jsonl
            """)
        let weir = try RunningWeir(bench)
        let (status, body) = try waitUntil("/ready names the source") { () -> (Int, [String: Any])? in
            let answer = try weir.json("/ready")
            let problems = answer.object["not_ready"] as? [[String: Any]] ?? []
            return problems.contains { $0["component"] as? String == "db" } ? answer : nil
        }
        #expect(status == 503)
        #expect(body["ready"] as? Bool == false)
        let problem = try #require((body["not_ready"] as? [[String: Any]])?.first { $0["component"] as? String == "db" })
        #expect(problem["pipeline"] as? String == "ready")
        #expect(problem["reason"] as? String == "starting: waiting for it to connect")
        #expect(try weir.get("/health").status == 200)
        #expect(try weir.component("ready", "db")["state"] as? String == "starting")

        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        let ready = try waitUntil("/ready is 200") { () -> [String: Any]? in
            let answer = try weir.json("/ready")
            return answer.status == 200 ? answer.object : nil
        }
        #expect(ready["ready"] as? Bool == true)
        #expect((ready["not_ready"] as? [Any])?.isEmpty == true)
        #expect(try weir.json("/health").object["status"] as? String == "ok")
        _ = try waitUntil("the row is written") { try weir.component("ready", "out")["sent_records"] as? Int == 1 ? true : nil }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("a plugin restart is counted; while the sinks drain after SIGTERM /ready says the pipeline is stopping")
    func restartsAndDrain() throws {
        let bench = PluginBench()
        let marker = bench.root + "/crashed-once"
        let gate = bench.root + "/gate"
        try bench.plugin(
            "flaky", kind: "transform", options: "  marker: { type: string, required: true }\n  gate: { type: string, required: true }\n",
            python: """
                def hold(record, options):
                    if not os.path.exists(options["marker"]):
                        open(options["marker"], "w").close()
                        os._exit(3)
                    while not os.path.exists(options["gate"]):
                        time.sleep(0.02)
                    return record
                weir_plugin.run_transform(hold)
                """)
        let input = bench.root + "/in.log"
        try Self.append(try Self.sshLines(0..<10), to: input)
        try bench.write(
            """
            name: drain
            topics:
              raw: { partitions: 1 }
            sources:
              auth:
                type: tail
                topic: raw
                paths: ["\(input)"]
            transforms:
              held:
                type: flaky
                inputs: [raw]
                marker: \(marker)
                gate: \(gate)
                timeout_ms: 600000
            sinks:
              out:
                type: file
                inputs: [held]
                path: \(bench.root)/out.jsonl
            """)
        let weir = try RunningWeir(bench, extra: ["--drain-timeout", "120"])
        let restarted = try waitUntil("the plugin was restarted once and holds the batch") {
            let scrape = try weir.scrape()
            return scrape.value("weir_plugin_restarts_total", ["component": "held"]) == 1
                && scrape.value("weir_group_lag_records", ["group": "drain.out"]) == 10 ? scrape : nil
        }
        #expect(restarted.value("weir_plugin_restarts_total", ["pipeline": "drain", "plugin": "flaky"]) == 1)
        weir.terminate()
        let stopping = try waitUntil("/ready says stopping") { () -> [String: Any]? in
            let answer = try weir.json("/ready")
            let reasons = (answer.object["not_ready"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
            return answer.status == 503 && reasons.contains("pipeline is stopping") ? answer.object : nil
        }
        #expect(stopping["ready"] as? Bool == false)
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        #expect(weir.waitForExit() == 0, "\(weir.stderr)")
        #expect(try bench.output("out.jsonl").count == 10)
    }

    /// A pipeline that keeps generating lines, parsed, into a file.
    static func generating(_ bench: PluginBench) throws {
        try bench.write(
            """
            name: gen
            topics:
              lines: { partitions: 2, compression: gzip }
            sources:
              numbers:
                type: generate
                topic: lines
                rate: 2000
            transforms:
              parsed:
                type: parse_regex
                inputs: [lines]
                pattern: '^(?<word>\\w+) line (?<n>\\d+)$'
            sinks:
              out:
                type: file
                inputs: [parsed]
                path: \(bench.root)/out.jsonl
            """)
    }

    @Test("weir tap prints records leaving a component, exactly as its output has them; an unknown component is one clear error")
    func tap() throws {
        let bench = PluginBench()
        try Self.generating(bench)
        let weir = try RunningWeir(bench)
        let transform = try run(Paths.weir, ["tap", "gen.parsed", "--limit", "20", "--http", weir.address])
        #expect(transform.status == 0, "\(transform.stderr)")
        let tapped = transform.stdoutText.split(separator: "\n").map(String.init)
        #expect(tapped.count == 20)
        let source = try run(Paths.weir, ["tap", "numbers", "--limit", "5", "--http", weir.address])
        let sourceLines = source.stdoutText.split(separator: "\n").map(String.init)
        #expect(sourceLines.count == 5)
        let sink = try run(Paths.weir, ["tap", "out", "--limit", "3", "--http", weir.address])
        #expect(sink.stdoutText.split(separator: "\n").count == 3)

        let unknown = try run(Paths.weir, ["tap", "nope", "--http", weir.address])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "weir: no component 'nope'; components: gen.numbers, gen.parsed, gen.out\n")
        let nobody = try run(Paths.weir, ["tap", "out", "--http", "127.0.0.1:1"])
        #expect(nobody.status == 1)
        #expect(nobody.stderr.hasPrefix("weir: cannot reach weir at http://127.0.0.1:1 ("))

        #expect(weir.stop() == 0, "\(weir.stderr)")
        // Every record the tap showed is in the sink's file, byte for byte; the source's
        // are its lines before parsing.
        let written = Set(try bench.output("out.jsonl"))
        #expect(written.count > 20)
        for line in tapped { #expect(written.contains(line), "\(line)") }
        let messages = Set(
            written.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["message"] as? String
            })
        for line in sourceLines {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(record.keys.sorted() == ["_timestamp", "message"])
            #expect(messages.contains(record["message"] as? String ?? ""), "\(line)")
        }
    }

    @Test("weir top in a terminal (tmux) shows the running components and quits on q or Ctrl-C; piped, it prints the table")
    func top() throws {
        let bench = PluginBench()
        try Self.generating(bench)
        let weir = try RunningWeir(bench)
        let tmux = Tmux()
        defer { tmux.killServer() }
        for (session, quit) in [("q", "q"), ("ctrlc", "C-c")] {
            try tmux(
                "new-session", "-d", "-s", session, "-x", "160", "-y", "30",
                "\(Paths.weir) top --http \(weir.address); echo top-exited-$?; sleep 600")
            let shown = try waitUntil("top shows the components running") { () -> String? in
                let screen = try tmux.screen(session)
                let rows = screen.split(separator: "\n")
                let running = ["numbers", "parsed", "out"].allSatisfy { id in
                    rows.contains { $0.contains("  \(id) ") && $0.contains("running") }
                }
                return running && screen.contains("— ready —") ? screen : nil
            }
            #expect(shown.contains("weir top — http://\(weir.address)"))
            #expect(shown.contains("COMPONENT"))
            #expect(shown.contains("generate") && shown.contains("parse_regex") && shown.contains("file"))
            try tmux("send-keys", "-t", session, quit)
            let after = try waitUntil("top exits") { () -> String? in
                let screen = try tmux.screen(session)
                return screen.contains("top-exited-") ? screen : nil
            }
            // It exited 0 and gave the terminal back (the view was on the alternate screen).
            #expect(after.contains("top-exited-0"), "\(after)")
            #expect(!after.contains("COMPONENT"))
        }

        // Not a terminal: the table is printed at each refresh; SIGINT ends it with 0.
        let piped = try ChildProcess(Paths.weir, ["top", "--http", weir.address, "--interval", "0.2"])
        var text = ""
        _ = try waitUntil("two tables are printed") { () -> Bool? in
            text += String(decoding: readAvailable(piped.stdout, seconds: 0.2), as: UTF8.self)
            return text.components(separatedBy: "COMPONENT").count > 2 ? true : nil
        }
        kill(piped.pid, SIGINT)
        #expect(piped.wait() == 0)
        #expect(!text.contains("\u{1B}["), "no terminal escapes in piped output")
        #expect(text.contains("  parsed ") && text.contains("running"))
        // Without --kafka: no Kafka sections, and /api/kafka says it serves none.
        #expect(!text.contains("Kafka clients"))
        #expect(try weir.json("/api/kafka").object["serving"] as? Bool == false)
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("--http takes host:port, [ipv6]:port or a bare port, which listens on 127.0.0.1 only")
    func addresses() throws {
        #expect(HTTPAddress(argument: "9580")?.description == "127.0.0.1:9580")
        #expect(HTTPAddress(argument: "0.0.0.0:80")?.description == "0.0.0.0:80")
        #expect(HTTPAddress(argument: "[::1]:9580")?.description == "[::1]:9580")
        #expect(HTTPAddress(argument: "http://localhost:9580")?.url == "http://localhost:9580")
        #expect(HTTPAddress(argument: "localhost") == nil)
        #expect(HTTPAddress(argument: "70000") == nil)
        let bench = PluginBench()
        try Self.generating(bench)
        let weir = try RunningWeir(bench)
        #expect(weir.address.hasPrefix("127.0.0.1:"))
        #expect(weir.stop() == 0)
    }

    @Test("/api/graph is the running pipelines' graph: nodes with their ranks, edges with their kinds")
    func graph() throws {
        let bench = PluginBench()
        try Self.generating(bench)
        let weir = try RunningWeir(bench)
        let (status, object) = try weir.json("/api/graph")
        #expect(status == 200)
        let nodes = object["nodes"] as? [[String: Any]] ?? []
        #expect(
            nodes.map { "\($0["id"] ?? "") \($0["rank"] ?? "")" } == [
                "source:gen/numbers 0", "topic:lines 1", "transform:gen/parsed 2", "sink:gen/out 3", "topic:gen.dlq 3",
            ])
        let edges = object["edges"] as? [[String: Any]] ?? []
        // From the source and the transform; the file sink writes whatever it is given.
        #expect(edges.filter { $0["kind"] as? String == "dead_letter" }.count == 2)
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    // MARK: Authentication

    static func tokenFile(_ bench: PluginBench, _ token: String) throws -> String {
        let path = bench.root + "/token"
        try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(
        "loopback is 127.0.0.0/8, ::1 and localhost; 0.0.0.0, :: and any other address or name are not",
        arguments: [
            ("127.0.0.1", true), ("127.0.0.2", true), ("127.255.255.254", true), ("::1", true), ("0:0:0:0:0:0:0:1", true),
            ("::ffff:127.0.0.1", true), ("localhost", true), ("LOCALHOST", true),
            ("0.0.0.0", false), ("::", false), ("128.0.0.1", false), ("10.0.0.1", false), ("192.168.1.20", false), ("::2", false),
            ("fe80::1", false), ("::ffff:10.0.0.1", false), ("weir.example.com", false), ("127.0.0.1.example.com", false),
        ])
    func loopback(host: String, isLoopback: Bool) {
        #expect(HTTPAccess.isLoopback(host) == isLoopback)
    }

    @Test("off loopback a token or --insecure-no-auth (with its warning) is required; a token given is asked on loopback too")
    func accessDecision() throws {
        for host in ["0.0.0.0", "::", "192.168.1.20", "weir.example.com"] {
            #expect(throws: HTTPAccess.Refused.self) {
                try HTTPAccess.decide(host: host, token: nil, insecureNoAuth: false, openProbes: false)
            }
            let insecure = try HTTPAccess.decide(host: host, token: nil, insecureNoAuth: true, openProbes: false)
            #expect(insecure.token == nil)
            #expect(
                insecure.warning
                    == "serving HTTP on \(host) without authentication (--insecure-no-auth): anyone who reaches it can read the records through /api/tap"
            )
            #expect(
                try HTTPAccess.decide(host: host, token: "s3cret", insecureNoAuth: false, openProbes: true)
                    == HTTPAccess(token: "s3cret", openProbes: true, warning: nil))
            // A token wins over --insecure-no-auth.
            #expect(try HTTPAccess.decide(host: host, token: "s3cret", insecureNoAuth: true, openProbes: false).token == "s3cret")
        }
        for host in ["127.0.0.1", "::1", "localhost"] {
            #expect(
                try HTTPAccess.decide(host: host, token: nil, insecureNoAuth: false, openProbes: false)
                    == HTTPAccess(token: nil, openProbes: true, warning: nil))
            #expect(
                try HTTPAccess.decide(host: host, token: "s3cret", insecureNoAuth: false, openProbes: false)
                    == HTTPAccess(token: "s3cret", openProbes: false, warning: nil))
        }
    }

    @Test(
        "with a token: no header, a wrong token or another scheme is refused; the right one passes; --http-open-metrics opens only the probes"
    )
    func requestsAllowed() {
        let guarded = HTTPAccess(token: "s3cret", openProbes: false, warning: nil)
        for path in ["/api/pipelines", "/api/tap", "/metrics", "/health", "/ready"] {
            for refused in [nil, "", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3cret2", "Bearer S3CRET", "Basic s3cret", "s3cret"] {
                #expect(!guarded.allows(path: path, authorization: refused), "\(path) \(refused ?? "nil")")
            }
            #expect(guarded.allows(path: path, authorization: "Bearer s3cret"))
            #expect(guarded.allows(path: path, authorization: "bearer s3cret"))
        }
        let open = HTTPAccess(token: "s3cret", openProbes: true, warning: nil)
        for path in ["/metrics", "/health", "/ready"] { #expect(open.allows(path: path, authorization: nil)) }
        for path in ["/api/pipelines", "/api/tap"] { #expect(!open.allows(path: path, authorization: nil)) }
        #expect(HTTPAccess(token: nil, openProbes: true, warning: nil).allows(path: "/api/tap", authorization: nil))
        #expect(HTTPAccess.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        for other in ["", "ab", "abd", "abcd", "xbc", String(repeating: "a", count: 259)] {
            #expect(!HTTPAccess.constantTimeEquals(Array(other.utf8), Array("abc".utf8)), "\(other)")
        }
    }

    @Test("a token given on 127.0.0.1 is asked everywhere: 401 without it or with a wrong one, 200 with it")
    func tokenAsked() throws {
        let bench = PluginBench()
        try Self.generating(bench)
        let token = "t0ken-\(UUID().uuidString)"
        let weir = try RunningWeir(bench, extra: ["--http-token-file", try Self.tokenFile(bench, token)], token: token)
        #expect(weir.stderr.contains("(every path asks for the bearer token)"), "\(weir.stderr)")
        for path in ["/api/pipelines", "/api/tap?component=out&limit=1", "/metrics", "/health", "/ready"] {
            let missing = try weir.get(path, authorization: nil)
            #expect(missing.status == 401, "\(path)")
            #expect(String(decoding: missing.body, as: UTF8.self).contains("this weir asks for a bearer token"), "\(path)")
            let wrong = try weir.get(path, authorization: "Bearer \(token)x")
            #expect(wrong.status == 401, "\(path)")
            #expect(String(decoding: wrong.body, as: UTF8.self).contains("wrong bearer token"), "\(path)")
            #expect(try weir.get(path, authorization: "Bearer nope").status == 401, "\(path)")
            let right = try weir.get(path).status
            #expect(path == "/ready" ? right != 401 : right == 200, "\(path)")
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test(
        "--http-open-metrics leaves /metrics, /health and /ready open and the API guarded; $WEIR_HTTP_TOKEN is the token when no file is given"
    )
    func openMetrics() throws {
        let bench = PluginBench()
        try Self.generating(bench)
        let token = "env-\(UUID().uuidString)"
        let weir = try RunningWeir(bench, extra: ["--http-open-metrics"], token: token, environment: ["WEIR_HTTP_TOKEN": token])
        #expect(weir.stderr.contains("(the API asks for the bearer token)"), "\(weir.stderr)")
        for path in ["/metrics", "/health"] { #expect(try weir.get(path, authorization: nil).status == 200, "\(path)") }
        #expect(try weir.get("/ready", authorization: nil).status != 401)
        for path in ["/api/pipelines", "/api/tap?component=out&limit=1"] {
            #expect(try weir.get(path, authorization: nil).status == 401, "\(path)")
        }
        #expect(try weir.get("/api/pipelines").status == 200)
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    /// `weir run` with a pipeline file that does not exist: the HTTP decision comes first,
    /// and past it the run stops at the file, before anything listens.
    static func runWithoutPipeline(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let directory = TemporaryDirectory()
        return try run(
            Paths.weir, ["run", "--data-dir", directory.path + "/data"] + arguments + [directory.path + "/missing.yaml"],
            environment: environment)
    }

    @Test(
        "off loopback (0.0.0.0, [::]) weir run refuses to start without a token, in one line; with one, or with --insecure-no-auth and its warning, it goes on"
    )
    func offLoopbackStart() throws {
        for (address, host) in [("0.0.0.0:0", "0.0.0.0"), ("[::]:0", "::")] {
            let refused = try Self.runWithoutPipeline(["--http", address])
            #expect(refused.status == 1)
            #expect(
                refused.stderr == "weir: --http on \(host) is beyond loopback and would serve the records to anyone who reaches it: "
                    + "give users (--http-users FILE) or a token (--http-token-file PATH or $WEIR_HTTP_TOKEN) or, to serve without either, --insecure-no-auth\n"
            )

            // Past the decision, the missing file stops it.
            let token = try Self.runWithoutPipeline(["--http", address], environment: ["WEIR_HTTP_TOKEN": "s3cret"])
            #expect(token.status == 1)
            #expect(!token.stderr.contains("beyond loopback") && token.stderr.contains("missing.yaml"), "\(token.stderr)")

            let insecure = try Self.runWithoutPipeline(["--http", address, "--insecure-no-auth"])
            #expect(insecure.status == 1)
            let warning = try #require(insecure.stderr.split(separator: "\n").first, "\(insecure.stderr)")
            #expect(
                warning.contains(" warning ")
                    && warning.hasSuffix(
                        "serving HTTP on \(host) without authentication (--insecure-no-auth): anyone who reaches it can read the records through /api/tap"
                    ), "\(warning)")
            #expect(insecure.stderr.contains("missing.yaml"), "\(insecure.stderr)")
        }
        let empty = try Self.runWithoutPipeline(["--http", "0.0.0.0:0"], environment: ["WEIR_HTTP_TOKEN": " \n"])
        #expect(empty.stderr == "weir: $WEIR_HTTP_TOKEN is empty\n")
        let unreadable = try Self.runWithoutPipeline(["--http", "9580", "--http-token-file", "/nonexistent/token"])
        #expect(unreadable.status == 1)
        #expect(unreadable.stderr.hasPrefix("weir: cannot read --http-token-file /nonexistent/token: "), "\(unreadable.stderr)")
        let stray = try Self.runWithoutPipeline(["--insecure-no-auth"])
        #expect(stray.status != 0 && stray.stderr.contains("go with --http"), "\(stray.stderr)")
    }

    @Test("weir tap and weir top send the token from --http-token-file or $WEIR_HTTP_TOKEN; without it they say one is asked")
    func clientsSendTheToken() throws {
        let bench = PluginBench()
        try Self.generating(bench)
        let token = "t0ken-\(UUID().uuidString)"
        let file = try Self.tokenFile(bench, token)
        let weir = try RunningWeir(bench, extra: ["--http-token-file", file], token: token)
        let byFile = try run(Paths.weir, ["tap", "out", "--limit", "3", "--http", weir.address, "--http-token-file", file])
        #expect(byFile.status == 0, "\(byFile.stderr)")
        #expect(byFile.stdoutText.split(separator: "\n").count == 3)
        let byEnvironment = try run(
            Paths.weir, ["tap", "out", "--limit", "3", "--http", weir.address], environment: ["WEIR_HTTP_TOKEN": token])
        #expect(byEnvironment.status == 0, "\(byEnvironment.stderr)")
        #expect(byEnvironment.stdoutText.split(separator: "\n").count == 3)
        let without = try run(Paths.weir, ["tap", "out", "--limit", "3", "--http", weir.address])
        #expect(without.status == 1)
        #expect(
            without.stderr
                == "weir: this weir asks for a bearer token: weir top and weir tap send it with --http-token-file PATH or $WEIR_HTTP_TOKEN\n"
        )
        let wrong = try run(Paths.weir, ["tap", "out", "--http", weir.address], environment: ["WEIR_HTTP_TOKEN": "nope"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.hasPrefix("weir: wrong bearer token"), "\(wrong.stderr)")

        // weir top, piped: the table with the token; without it, what is asked.
        for (arguments, expected) in [(["--http-token-file", file], "COMPONENT"), ([], "this weir asks for a bearer token")] {
            let top = try ChildProcess(Paths.weir, ["top", "--http", weir.address, "--interval", "0.2"] + arguments)
            var text = ""
            _ = try waitUntil("top shows \(expected)") { () -> Bool? in
                text += String(decoding: readAvailable(top.stdout, seconds: 0.2), as: UTF8.self)
                return text.contains(expected) ? true : nil
            }
            kill(top.pid, SIGINT)
            #expect(top.wait() == 0)
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }
}
