import Foundation
import Testing
import WeirTestSupport

@testable import WeirServer

/// The web console of `weir run --http`: the page and its assets, the bounded history,
/// the live event stream and its cap, and the token rule over all of them.
@Suite("web console: page, history, events")
struct ConsoleTests {
    static let sink = RunHistory.Component(pipeline: "p", id: "out", kind: "sink", type: "file")
    static let source = RunHistory.Component(pipeline: "p", id: "in", kind: "source", type: "tail")

    @Test("the ring keeps the newest `capacity` samples, oldest first, with sequence numbers; its memory is set by the components")
    func ringIsBounded() throws {
        let history = RunHistory(capacity: 5)
        #expect(HistoryReport(history).times.isEmpty)
        #expect(HistoryReport(history).sequence == 0)
        for n in 1...12 {
            history.record(
                time: Double(n), components: [Self.source, Self.sink],
                readings: [
                    .init(received: Float(n), sent: Float(n) + 0.25, bytes: 100 * Float(n), errors: UInt32(n % 2), deadLettered: 0),
                    .init(received: Float(n), sent: Float(n), lag: Int64(n * 10)),
                ])
            let report = HistoryReport(history)
            #expect(report.times.count == min(n, 5))
            #expect(report.sequence == UInt64(n))
            #expect(report.components.allSatisfy { $0.receivedRecordsPerSecond.count == min(n, 5) })
        }
        let report = HistoryReport(history)
        #expect(report.times == [8, 9, 10, 11, 12])
        let source = try #require(report.components.first)
        #expect(source.node == "source:p/in")
        #expect(source.receivedRecordsPerSecond == [8, 9, 10, 11, 12])
        #expect(source.sentRecordsPerSecond == [8.3, 9.3, 10.3, 11.3, 12.3])
        #expect(source.receivedBytesPerSecond == [800, 900, 1000, 1100, 1200])
        #expect(source.errors == [0, 1, 0, 1, 0])
        #expect(source.lag == nil)
        #expect(report.components[1].lag == [80, 90, 100, 110, 120])
        // Times 8 bytes a sample; a component 20 (a sink 28): fixed, however many samples.
        #expect(history.heldBytes == 5 * 8 + 5 * 20 + 5 * 28)
        #expect(RunHistory().capacity == 900)

        // Other components (the pipelines were attached): the history starts again.
        history.record(time: 13, components: [Self.source], readings: [.init(received: 1)])
        #expect(HistoryReport(history).times == [13])
        #expect(HistoryReport(history).components.map(\.id) == ["in"])
        #expect(history.heldBytes == 5 * 8 + 5 * 20)
    }

    @Test("at most `maximumStreams` event streams are open at once; a place is given back when its stream goes")
    func streamCap() {
        let history = RunHistory(capacity: 2, maximumStreams: 3)
        var slots = (0..<3).compactMap { _ in history.openStream() }
        #expect(slots.count == 3)
        #expect(history.openStream() == nil)
        slots.removeLast()
        #expect(history.openStream() != nil)  // released at once: the slot is not kept
        let kept = history.openStream()
        #expect(kept != nil)
        #expect(history.openStream() == nil)
        #expect(history.hasStreams)
    }

    @Test("GET / is the page (text/html, with its noscript), /console.js and /console.css its assets, all from the binary")
    func page() throws {
        let bench = PluginBench()
        try OperationsTests.generating(bench)
        let weir = try RunningWeir(bench)
        for (path, type, contains) in [
            ("/", "text/html; charset=utf-8", "<noscript>"), ("/console.js", "text/javascript; charset=utf-8", "/api/events"),
            ("/console.css", "text/css; charset=utf-8", "svg#graph"),
        ] {
            let response = try StreamingGet(weir.address, path).read(until: "\(path) is read") {
                $0.body.count >= Int($0.headers["content-length"] ?? "1") ?? 1
            }
            #expect(response.status == 200, "\(path)")
            #expect(response.headers["content-type"] == type, "\(path)")
            #expect(response.text.contains(contains), "\(path)")
        }
        let html = try weir.get("/")
        let text = String(decoding: html.body, as: UTF8.self)
        for needed in [
            "<script src=\"/console.js\"", "<link rel=\"stylesheet\" href=\"/console.css\"", "<main", "id=\"graph\"", "id=\"topics\"",
            "id=\"tap\"", "id=\"tap-records\"", "<a href=\"/api/pipelines\">", "<a href=\"/metrics\">",
        ] {
            #expect(text.contains(needed), "\(needed)")
        }
        // Nothing is fetched from elsewhere (the SVG namespace is a name, not a fetch).
        for path in ["/", "/console.js", "/console.css"] {
            let body = String(decoding: try weir.get(path).body, as: UTF8.self).replacingOccurrences(
                of: "http://www.w3.org/2000/svg", with: "")
            #expect(!body.contains("http://") && !body.contains("https://") && !body.contains("//cdn"), "\(path)")
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("/api/history fills once a second while a pipeline runs: every component, a sink's lag, rates that follow the records")
    func historyFills() throws {
        let bench = PluginBench()
        try OperationsTests.generating(bench)
        let weir = try RunningWeir(bench)
        let history = try waitUntil("three samples with records through") { () -> [String: Any]? in
            let object = try weir.json("/api/history").object
            let components = object["components"] as? [[String: Any]] ?? []
            let source = components.first { $0["node"] as? String == "source:gen/numbers" }
            let sent = source?["sent_records_per_second"] as? [Double] ?? []
            return (object["times"] as? [Double] ?? []).count >= 3 && sent.contains { $0 > 0 } ? object : nil
        }
        #expect(history["interval_seconds"] as? Int == 1)
        #expect(history["capacity"] as? Int == 900)
        let times = history["times"] as? [Double] ?? []
        #expect(times == times.sorted())
        #expect(history["sequence"] as? Int == times.count)
        let components = history["components"] as? [[String: Any]] ?? []
        #expect(components.map { $0["node"] as? String ?? "" } == ["source:gen/numbers", "transform:gen/parsed", "sink:gen/out"])
        for component in components {
            for key in ["received_records_per_second", "sent_records_per_second", "received_bytes_per_second", "errors", "dead_lettered"] {
                #expect((component[key] as? [Any])?.count == times.count, "\(key)")
            }
            #expect((component["lag"] as? [Any])?.count == (component["kind"] as? String == "sink" ? times.count : nil))
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("/api/events streams `event: sample` once a second: the newest sample with each component's state")
    func events() throws {
        let bench = PluginBench()
        try OperationsTests.generating(bench)
        let weir = try RunningWeir(bench)
        let stream = try StreamingGet(weir.address, "/api/events").read(until: "two samples") {
            $0.events.filter { $0.event == "sample" }.count >= 2
        }
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"] == "text/event-stream")
        let samples: [[String: Any]] = stream.events.filter { $0.event == "sample" }.compactMap { event in
            try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
        }
        try #require(samples.count >= 2)
        let sequences = samples.map { $0["sequence"] as? Int ?? 0 }
        #expect(sequences[1] > sequences[0])
        #expect(samples.allSatisfy { $0["time"] is Double })
        let components = samples[1]["components"] as? [[String: Any]] ?? []
        #expect(components.map { $0["node"] as? String ?? "" } == ["source:gen/numbers", "transform:gen/parsed", "sink:gen/out"])
        for component in components {
            for key in [
                "pipeline", "id", "kind", "type", "state", "received_records_per_second", "sent_records_per_second",
                "received_bytes_per_second", "errors", "dead_lettered",
            ] {
                #expect(component[key] != nil, "\(key)")
            }
            #expect(component["state"] as? String == "running")
            #expect((component["lag"] != nil) == (component["kind"] as? String == "sink"))
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("at most 16 event streams: the 17th is a 503 that says why, and a stream whose client went gives its place back")
    func eventStreamCap() throws {
        let bench = PluginBench()
        try OperationsTests.generating(bench)
        let weir = try RunningWeir(bench)
        var open = try (0..<16).map { _ in
            try StreamingGet(weir.address, "/api/events").read(until: "the stream's head") { $0.status != 0 }
        }
        #expect(open.allSatisfy { $0.status == 200 })
        let refused = try StreamingGet(weir.address, "/api/events").read(until: "the answer") { $0.text.hasSuffix("\n") }
        #expect(refused.status == 503)
        #expect(refused.text.contains("16 event streams are open already"))
        open.removeFirst()  // closes its socket: the server notices at its next write
        _ = try waitUntil("a place is free again") { () -> Bool? in
            let again = try StreamingGet(weir.address, "/api/events").read(until: "the head") { $0.status != 0 }
            return again.status == 200 ? true : nil
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }

    @Test("with a token, the console asks for it like every other path: 401 for /, its assets, /api/history and /api/events")
    func tokenAsked() throws {
        let bench = PluginBench()
        try OperationsTests.generating(bench)
        let token = "t0ken-\(UUID().uuidString)"
        let weir = try RunningWeir(bench, extra: ["--http-token-file", try OperationsTests.tokenFile(bench, token)], token: token)
        for path in ["/", "/console.js", "/console.css", "/api/history", "/api/events"] {
            let missing = try StreamingGet(weir.address, path).read(until: "the 401") { $0.text.hasSuffix("\n") }
            #expect(missing.status == 401, "\(path)")
            #expect(missing.headers["www-authenticate"] == "Bearer realm=\"weir\"", "\(path)")
            let right = try StreamingGet(weir.address, path, authorization: "Bearer \(token)").read(until: "the head") { $0.status != 0 }
            #expect(right.status == 200, "\(path)")
        }
        let guarded = HTTPAccess(token: "s3cret", openProbes: true, warning: nil)
        for path in ["/", "/console.js", "/console.css", "/api/history", "/api/events"] {
            #expect(!guarded.allows(path: path, authorization: nil), "\(path)")
        }
        #expect(weir.stop() == 0, "\(weir.stderr)")
    }
}
