import Foundation
import Testing
import WeirTestSupport

/// deploy/grafana/weir.json against a real `/metrics`: every metric name and label its
/// queries use must be among the series a running pipeline exports, so renaming a
/// metric or a label in the code fails here rather than blanking a panel.
@Suite("the Grafana dashboard and the Prometheus configuration in deploy/")
struct GrafanaDashboardTests {
    static let dashboardPath = Paths.packageRoot + "/deploy/grafana/weir.json"

    static func dashboard() throws -> DashboardQueries {
        try DashboardQueries(json: Data(contentsOf: URL(fileURLWithPath: dashboardPath)))
    }

    /// The pipeline: a tail source, a plugin restarted once, dead letters, an aggregate's
    /// state, fsyncs, two sinks.
    @Test("every metric and label the dashboard queries is in the /metrics of a pipeline that moves them all")
    func dashboardQueriesRealSeries() throws {
        let dashboard = try Self.dashboard()
        let bench = PluginBench()
        let marker = bench.root + "/crashed-once"
        // A pass-through plugin that exits on its first record once: one restart.
        try bench.plugin(
            "flaky", kind: "transform", options: "  marker: { type: string, required: true }\n",
            python: """
                def once(record, options):
                    if not os.path.exists(options["marker"]):
                        open(options["marker"], "w").close()
                        os._exit(3)
                    return record
                weir_plugin.run_transform(once)
                """)
        let input = bench.root + "/in.log"
        _ = FileManager.default.createFile(atPath: input, contents: nil)
        // parse_regex keeps the "Failed password" lines and dead-letters the rest; the
        // aggregate holds a day's window per pid (state, no output); `flush: always`
        // fsyncs after each append.
        try bench.write(
            """
            name: dash
            topics:
              raw: { partitions: 1, flush: always }
            sources:
              auth: { type: tail, topic: raw, paths: ["\(input)"], scan_interval_ms: 50 }
            transforms:
              flaky: { type: flaky, inputs: [raw], marker: "\(marker)" }
              failed:
                type: parse_regex
                inputs: [flaky]
                pattern: '^\\w{3}\\s+\\d+ \\S+ (?<host>\\S+) sshd\\[(?<pid>\\d+)\\]: Failed password'
              per_pid:
                type: aggregate
                inputs: [failed]
                group_by: [pid]
                window: { tumbling: 1d }
                aggregations: { n: { count: {} } }
            sinks:
              out: { type: file, inputs: [per_pid], path: "\(bench.root)/out.jsonl" }
              lines: { type: file, inputs: [failed], path: "\(bench.root)/lines.jsonl" }
            """)
        let weir = try RunningWeir(bench)
        _ = try waitUntil("/ready says ready") { try weir.get("/ready").status == 200 ? true : nil }
        try OperationsTests.append(try OperationsTests.sshLines(0..<500), to: input)
        // Checked against the last scrape even when the wait times out, so a metric the
        // wait needs that was renamed is named below rather than only timing out.
        var scrape = try weir.scrape()
        let settled = try? waitUntil("both sinks committed 500 records and every gauge was sampled") { () -> Bool? in
            scrape = try weir.scrape()
            let settled =
                scrape.value("weir_group_committed_offset", ["group": "dash.out"]) == 500
                && scrape.value("weir_group_committed_offset", ["group": "dash.lines"]) == 500
                && scrape.value("weir_sink_lag_records", ["component": "out"]) == 0
                && scrape.value("weir_sink_lag_records", ["component": "lines"]) == 0
                && scrape.value("weir_transform_state_bytes", ["component": "per_pid"]) != nil
            return settled ? true : nil
        }
        for problem in dashboard.problems(against: DashboardQueries.labels(of: scrape)) { Issue.record(Comment(rawValue: problem)) }
        #expect(settled == true, "the pipeline did not settle within 60 s: \(weir.stderr)")
        // What the dashboard shows was really exercised, not only declared.
        #expect(scrape.value("weir_plugin_restarts_total", ["component": "flaky", "plugin": "flaky"]) == 1)
        #expect(try #require(scrape.value("weir_component_dead_lettered_records_total", ["component": "failed"])) > 0)
        #expect(try #require(scrape.value("weir_component_sent_records_total", ["component": "lines"])) > 0)
        #expect(try #require(scrape.value("weir_transform_state_bytes", ["component": "per_pid", "sink": "out"])) > 0)
        #expect(try #require(scrape.value("weir_partition_fsync_duration_seconds_count", ["topic": "raw"])) > 0)
        #expect(try #require(scrape.value("weir_partition_appended_records_total", ["topic": "dash.dlq"])) > 0)
        #expect(try #require(scrape.value("weir_sink_end_to_end_latency_seconds_count", ["component": "lines"])) > 0)
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("the dashboard imports as is: schema 39, a Prometheus datasource variable every query uses, job and instance variables")
    func dashboardShape() throws {
        let dashboard = try Self.dashboard()
        #expect(dashboard.dashboard["schemaVersion"] as? Int == 39)
        #expect(dashboard.dashboard["uid"] as? String == "weir-overview")
        let variables = Dictionary(uniqueKeysWithValues: dashboard.variables.map { ($0["name"] as? String ?? "", $0) })
        #expect(variables["datasource"]?["type"] as? String == "datasource")
        #expect(variables["datasource"]?["query"] as? String == "prometheus")
        for name in ["job", "instance", "pipeline"] {
            #expect(variables[name]?["type"] as? String == "query", "variable \(name)")
        }
        let ids = dashboard.panels.compactMap { $0["id"] as? Int }
        #expect(ids.count == dashboard.panels.count && Set(ids).count == ids.count, "panel ids must be unique")
        let uses = { (object: [String: Any]?) in (object?["datasource"] as? [String: Any])?["uid"] as? String }
        for panel in dashboard.panels where panel["type"] as? String != "row" {
            let title = panel["title"] as? String ?? "?"
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(!targets.isEmpty, "panel '\(title)' has no query")
            #expect(uses(panel) == "${datasource}", "panel '\(title)'")
            for target in targets {
                #expect(uses(target) == "${datasource}", "panel '\(title)' target")
                let expression = target["expr"] as? String ?? ""
                #expect(expression.contains("job=~\"$job\"") && expression.contains("instance=~\"$instance\""), "panel '\(title)'")
            }
        }
        // What the brief asked the dashboard to show, by the metric behind it.
        let used = dashboard.queries.reduce(into: Set<String>()) { $0.formUnion($1.names.metrics) }
        for metric in [
            "weir_component_received_records_total", "weir_component_received_bytes_total", "weir_group_lag_records",
            "weir_partition_append_duration_seconds_bucket", "weir_partition_fsync_duration_seconds_bucket",
            "weir_plugin_restarts_total", "weir_component_dead_lettered_records_total", "weir_component_errors_total",
            "process_resident_memory_bytes", "process_cpu_seconds_total", "weir_transform_state_bytes",
        ] {
            #expect(used.contains(metric), "the dashboard shows no \(metric)")
        }
    }

    @Test("the check finds a renamed metric, a label the metric lacks, and labels of by (), matchers and legends")
    func checkFindsRenames() throws {
        let names = PromQLNames(
            #"histogram_quantile(0.99, sum by (le, topic) (rate(weir_x_bucket{job=~"$job", a!="}{"}[$__rate_interval]))) / on (topic) weir_y"#
        )
        #expect(names.metrics == ["weir_x_bucket", "weir_y"])
        #expect(names.matcherLabels == ["weir_x_bucket": ["job", "a"]])
        #expect(names.groupingLabels == ["le", "topic"])
        #expect(PromQLNames(#"sum(rate(weir_z_total{p="1"}[5m])) by (component) > 0"#).groupingLabels == ["component"])
        #expect(PromQLNames(#"count({__name__="weir_q"})"#).unownedMatchers == ["__name__"])
        #expect(DashboardQueries.legendLabels("{{pipeline}}.{{ component }} ({{kind}})") == ["pipeline", "component", "kind"])
        let variable = DashboardQueries.labelValues(#"label_values(weir_pipeline_running{job=~"$job"}, instance)"#)
        #expect(variable.metrics == ["weir_pipeline_running"] && variable.groupingLabels == ["instance"])

        // The real dashboard against a scrape where one metric was renamed and one
        // label dropped: both are named.
        let dashboard = try Self.dashboard()
        var series = dashboard.queries.reduce(into: [String: Set<String>]()) { series, query in
            for metric in query.names.metrics {
                series[metric, default: []].formUnion(
                    (query.names.matcherLabels[metric] ?? []).union(query.names.groupingLabels).union(query.legendLabels))
            }
        }
        #expect(dashboard.problems(against: series).isEmpty)
        series["weir_sink_lag_records_now"] = series.removeValue(forKey: "weir_sink_lag_records")
        series["weir_group_lag_records"]?.remove("partition")
        let problems = dashboard.problems(against: series)
        #expect(
            problems.contains { $0.contains("metric weir_sink_lag_records is not in /metrics") && $0.contains("weir_sink_lag_records_now") }
        )
        #expect(problems.contains { $0.contains("label 'partition' is not on weir_group_lag_records") })
    }

    @Test("deploy/prometheus.yml scrapes job weir every 5 s on the port deploy/weir.service serves")
    func prometheusConfiguration() throws {
        let text = try String(contentsOfFile: Paths.packageRoot + "/deploy/prometheus.yml", encoding: .utf8)
        let unit = try String(contentsOfFile: Paths.packageRoot + "/deploy/weir.service", encoding: .utf8)
        #expect(text.contains("- job_name: weir\n"))
        #expect(text.contains("  scrape_interval: 5s\n"))
        #expect(text.contains("targets: [\"127.0.0.1:9580\"]"))
        #expect(unit.contains("--http 9580 "))
    }
}
