import Foundation
import Synchronization
import Testing
import WeirLog
import WeirTestSupport

@testable import WeirPipeline
@testable import WeirServer
@testable import weir

/// The `http_server` source through real pipeline runs: each content type into a file
/// sink, the refusals (400, 401, 413, 415, 429), and a stop that drains.
@Suite("http_server source")
struct HTTPServerSourceTests {
    static func yaml(_ options: String = "", sinkOptions: String = "", sink: String = "file") -> String {
        """
        name: ingest
        topics: { t: {} }
        sources:
          http: { type: http_server, address: "127.0.0.1:0", topic: t\(options) }
        sinks:
          out: { type: \(sink), inputs: [t], path: "{dir}/out.txt", encoding: text\(sinkOptions) }
        """
    }

    /// The first `count` lines of a loghub sample, CRLF endings and all.
    static func loghub(_ name: String, lines count: Int) throws -> [UInt8] {
        let all = try Data(contentsOf: URL(fileURLWithPath: Paths.loghub + "/" + name))
        return Array(all.split(separator: 0x0a, omittingEmptySubsequences: false).prefix(count).map { Data($0) + [0x0a] }.joined())
    }

    @Test("text/plain: a record per line (CRLF or LF), the last needs no newline; 200 counts them once they are in the log")
    func plainLines() async throws {
        let h = try IngestHarness(Self.yaml())
        try await h.started()
        let body = try Self.loghub("OpenSSH_2k.log", lines: 50)
        let first = try await h.post(body)
        #expect(first.status == 200)
        #expect(first.body.contains("\"records\":50"))
        // 200 came after the flush: the records are in the topic already.
        #expect(try h.appended("t") == 50)
        let second = try await h.post("one\ntwo\r\nthree", type: "text/plain; charset=utf-8")
        #expect(second.status == 200)
        try await h.waitUntil("53 lines out") { h.lines("out.txt").count == 53 }
        let summary = try await h.stopAndWait()
        #expect(summary.appended["http"] == 53)
        // Split as bytes: to a String, "\r\n" is one character.
        let expected = body.split(separator: 0x0a).map { String(decoding: $0.dropLast(), as: UTF8.self) } + ["one", "two", "three"]
        #expect(h.lines("out.txt") == expected)
    }

    @Test("NDJSON: a JSON value per line, each its compact JSON text (a string its text); parse_json reads them")
    func ndjson() async throws {
        let h = try IngestHarness(
            """
            name: ingest
            topics: { t: {} }
            sources:
              http: { type: http_server, address: "127.0.0.1:0", path: /ingest, topic: t }
            transforms:
              parsed: { type: parse_json, inputs: [t] }
            sinks:
              out: { type: file, inputs: [parsed], path: "{dir}/out.txt", encoding: json }
              raw: { type: file, inputs: [t], path: "{dir}/raw.txt", encoding: text }
            """)
        try await h.started()
        let body = "{\"level\": \"info\", \"n\": 1}\r\n\n{\"level\":\"warn\",\"n\":2}\n"
        for type in ["application/x-ndjson", "application/jsonl"] {
            let answer = try await h.post(body, type: type, path: "/ingest")
            #expect(answer.status == 200, "\(type): \(answer.body)")
        }
        #expect(try await h.post("\"a plain line\"\n", type: "application/x-ndjson", path: "/ingest").status == 200)
        try await h.waitUntil("5 records raw") { h.lines("raw.txt").count == 5 }
        try await h.waitUntil("4 parsed") { h.lines("out.txt").count == 4 }
        try await h.stopAndWait()
        #expect(
            h.lines("raw.txt") == [
                "{\"level\":\"info\",\"n\":1}", "{\"level\":\"warn\",\"n\":2}", "{\"level\":\"info\",\"n\":1}",
                "{\"level\":\"warn\",\"n\":2}", "a plain line",
            ])
        #expect(h.lines("out.txt").allSatisfy { $0.contains("\"level\":\"") && $0.contains("\"n\":") })
    }

    @Test("application/json: an object is one record, an array a record per element")
    func json() async throws {
        let h = try IngestHarness(Self.yaml())
        try await h.started()
        #expect(try await h.post("{\n  \"msg\": \"hello\",\n  \"tags\": [1, 2]\n}", type: "application/json").status == 200)
        let array = try await h.post("[{\"a\":1}, \"line two\", 3, [4]]", type: "application/json")
        #expect(array.status == 200)
        #expect(array.body.contains("\"records\":4"))
        try await h.waitUntil("5 lines") { h.lines("out.txt").count == 5 }
        try await h.stopAndWait()
        #expect(h.lines("out.txt") == ["{\"msg\":\"hello\",\"tags\":[1,2]}", "{\"a\":1}", "line two", "3", "[4]"])
    }

    @Test("concurrent requests: every one answered 200, each one batch (its lines together), none lost")
    func concurrent() async throws {
        let h = try IngestHarness(Self.yaml())
        try await h.started()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<16 {
                group.addTask {
                    try await h.post((0..<25).map { "client \(client) line \($0)\n" }.joined()).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 16))
        try await h.waitUntil("400 lines") { h.lines("out.txt").count == 400 }
        try await h.stopAndWait()
        let lines = h.lines("out.txt")
        #expect(Set(lines).count == 400)
        // One partition, one batch per request: each request's lines are consecutive.
        for start in stride(from: 0, to: 400, by: 25) {
            let client = lines[start].split(separator: " ")[1]
            #expect(lines[start..<start + 25] == ArraySlice((0..<25).map { "client \(client) line \($0)" }))
        }
    }

    @Test("a body that is not what its type says: 400 naming the line, nothing of it appended; an unread type: 415")
    func badBodies() async throws {
        let h = try IngestHarness(Self.yaml())
        try await h.started()
        let ndjson = try await h.post("{\"ok\":1}\n{\"ok\":2}\n{broken\n", type: "application/x-ndjson")
        #expect(ndjson.status == 400)
        #expect(ndjson.body.contains("line 3 is not JSON"), "\(ndjson.body)")
        let json = try await h.post("[{\"ok\":1},\n{\"ok\":]", type: "application/json")
        #expect(json.status == 400)
        #expect(json.body.contains("line 2"), "\(json.body)")
        let scalar = try await h.post("42", type: "application/json")
        #expect(scalar.status == 400)
        let form = try await h.post("a=b", type: "application/x-www-form-urlencoded")
        #expect(form.status == 415)
        // Then a good one: it is all the topic holds.
        #expect(try await h.post("{\"ok\":3}", type: "application/json").status == 200)
        try await h.waitUntil("1 line") { h.lines("out.txt").count == 1 }
        let summary = try await h.stopAndWait()
        #expect(summary.appended["http"] == 1)
        #expect(h.lines("out.txt") == ["{\"ok\":3}"])
    }

    @Test("413 over max_body_bytes, declared or not; a body at the limit is taken")
    func tooLarge() async throws {
        let h = try IngestHarness(Self.yaml(", max_body_bytes: 100"))
        try await h.started()
        let over = try await h.post(String(repeating: "x", count: 150))
        #expect(over.status == 413)
        #expect(over.body.contains("max_body_bytes"))
        // Chunked, with no length given: the limit holds as the body arrives.
        let chunked = try await onThread { [address = h.address] in
            let client = try RawHTTP(address)
            let chunk = String(repeating: "y", count: 80)
            try client.send(
                Array(
                    ("POST / HTTP/1.1\r\nHost: weir\r\nConnection: close\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "50\r\n\(chunk)\r\n50\r\n\(chunk)\r\n0\r\n\r\n").utf8))
            return try client.answer()
        }
        #expect(chunked.status == 413)
        #expect(try await h.post(String(repeating: "z", count: 99) + "\n").status == 200)
        try await h.waitUntil("1 line") { h.lines("out.txt").count == 1 }
        let summary = try await h.stopAndWait()
        #expect(summary.appended["http"] == 1)
    }

    @Test("beyond loopback without a token is a load error at address; with a token, requests without it get 401")
    func token() async throws {
        let loader = PipelineLoader(catalog: IngestHarness.registry(HTTPServerStatus()))
        let open = Self.yaml().replacingOccurrences(of: "127.0.0.1:0", with: "0.0.0.0:8080")
        let (definition, diagnostics) = loader.load(text: open, file: "p.yaml", defaultName: "p")
        #expect(definition == nil)
        #expect(diagnostics.map(\.description).joined().contains("p.yaml:4:"), "\(diagnostics)")
        #expect(diagnostics.map(\.description).joined().contains("beyond loopback"), "\(diagnostics)")
        let both = loader.load(text: Self.yaml(", token: a, token_file: /b"), file: "p.yaml", defaultName: "p")
        #expect(both.definition == nil)
        #expect(
            loader.load(text: open.replacingOccurrences(of: "topic: t", with: "topic: t, token: s3cret"), file: "p.yaml", defaultName: "p")
                .definition != nil)

        // Written before the run starts: the source reads it when it starts.
        let tokenFile = FileManager.default.temporaryDirectory.path + "/weir-token-" + UUID().uuidString
        try "s3cret\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let h = try IngestHarness(Self.yaml(", token_file: \"\(tokenFile)\""))
        try await h.started()
        let none = try await h.post("a\n")
        #expect(none.status == 401)
        #expect(none.headers["www-authenticate"] == "Bearer realm=\"weir\"")
        #expect(try await h.post("b\n", headers: ["Authorization: Bearer wrong"]).status == 401)
        #expect(try await h.post("c\n", headers: ["Authorization: Bearer s3cret"]).status == 200)
        try await h.waitUntil("1 line") { h.lines("out.txt").count == 1 }
        try await h.stopAndWait()
        #expect(h.lines("out.txt") == ["c"])
    }

    @Test("429 with Retry-After: 1 while the sink is past its max_lag, nothing appended; 200 again once it catches up")
    func backPressure() async throws {
        let gate = StopFlag()
        let written = Counter()
        let h = try IngestHarness(Self.yaml(sinkOptions: ", max_lag: 2", sink: "gated")) { registry in
            registry.register(
                ComponentSpec(
                    type: "gated", kind: .sink, summary: "holds every batch until the test opens it",
                    options: [OptionSpec("path", .string), OptionSpec("encoding", .string)]),
                sink: { _ in GatedSink(gate: gate, written: written) })
        }
        try await h.started()
        #expect(try await h.post("1\n2\n3\n").status == 200)
        // Three records appended, none committed: the lag (3) is past max_lag (2).
        let busy = try await h.post("4\n")
        #expect(busy.status == 429)
        #expect(busy.headers["retry-after"] == "1")
        #expect(try h.appended("t") == 3)
        gate.set()
        try await h.waitUntil("the sink caught up") { h.runner.groupPositions().allSatisfy { $0.lag == 0 } && written.value == 3 }
        #expect(try await h.post("4\n").status == 200)
        try await h.waitUntil("4 written") { written.value == 4 }
        let summary = try await h.stopAndWait()
        #expect(summary.appended["http"] == 4)
    }

    @Test("a stop lets a request in progress (its head arrived) finish: it is appended and answered 200, and the sink drains it")
    func stopDrains() async throws {
        let h = try IngestHarness(Self.yaml())
        try await h.started()
        let body = Array("in flight one\nin flight two\n".utf8)
        let client = try RawHTTP(h.address)
        let request = HTTPAnswer.request(body, type: "text/plain", path: "/", headers: [])
        // The head and half the body, then the stop.
        try client.send(Array(request.dropLast(10)))
        try await h.waitUntil("the request is in progress") { h.status.requestsInProgress == 1 }
        h.stop.set()
        // The rest of the body comes at once: the stop may or may not have closed the
        // listener yet (waiting for that took longer than the drain allows on a loaded
        // machine), and either way the request in progress is answered 200.
        try client.send(Array(request.suffix(10)))
        let answer = try await onThread { try client.answer() }
        #expect(answer.status == 200)
        let summary = try await h.stopAndWait()
        #expect(summary.appended["http"] == 2)
        #expect(h.lines("out.txt") == ["in flight one", "in flight two"])
    }

    @Test("the weir binary registers http_server")
    func registered() {
        #expect(SwiftPlugins.registry.spec(.source, "http_server") != nil)
    }

    @Test("record bodies by content type, as unit")
    func bodyFormats() throws {
        #expect(try HTTPBodyRecords.format(contentType: nil) == .lines)
        #expect(try HTTPBodyRecords.format(contentType: "Application/JSON; charset=utf-8") == .json)
        #expect(HTTPBodyRecords.lines(Array("a\r\n\nb".utf8)) == [0..<1, 3..<3, 4..<5])
        #expect(HTTPBodyRecords.lines(Array("a\n".utf8)) == [0..<1])
        #expect(HTTPBodyRecords.lines([]) == [])
        #expect(throws: HTTPBodyRecords.Refusal.self) { try HTTPBodyRecords.values(Array("[1,".utf8), as: .json) }
    }

    @Test("address: a port alone is 127.0.0.1; [IPv6]:PORT; junk refused")
    func addresses() {
        #expect(HTTPServerOptions.parse(address: "8080")! == ("127.0.0.1", 8080))
        #expect(HTTPServerOptions.parse(address: "[::1]:9")! == ("::1", 9))
        #expect(HTTPServerOptions.parse(address: "0.0.0.0:0")! == ("0.0.0.0", 0))
        #expect(HTTPServerOptions.parse(address: "host") == nil)
        #expect(HTTPServerOptions.parse(address: "h:70000") == nil)
    }
}

/// A count shared with a sink's thread.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ n: Int) { count.withLock { $0 += n } }
}

/// A sink that holds every batch until `gate` is set (so the topic's lag stays what
/// was appended), then counts it.
final class GatedSink: SinkOutput {
    let gate: StopFlag
    let written: Counter

    init(gate: StopFlag, written: Counter) {
        self.gate = gate
        self.written = written
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        gate.wait(until: nil)
        written.add(records.count)
    }
}
