import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// The `http` sink against a real HTTP server (Python's http.server on 127.0.0.1): a 503
/// is retried with backoff, a 400 sends the batch to the dead-letter topic, and what the
/// server accepted is every other record once.
@Suite("http sink")
struct HTTPSinkTests {
    static let server = #"""
        import http.server, json, sys
        received, calls = sys.argv[1], [0]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                if self.path == "/moved":
                    self.send_response(302)
                    self.send_header("Location", "/ingest")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                calls[0] += 1
                records = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if calls[0] == 1:
                    status, body = 503, b"warming up"
                elif any("reject" in r.get("message", "") for r in records):
                    status, body = 400, b"record refused"
                else:
                    with open(received, "a") as f:
                        for r in records:
                            f.write(r["message"] + "\n")
                    status, body = 200, b"ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_port, flush=True)
        server.serve_forever()
        """#

    /// Starts the server; its port, and the process to stop.
    func startServer(_ received: String) throws -> (Int, ChildProcess) {
        let server = try ChildProcess("/usr/bin/env", ["python3", "-c", Self.server, received])
        var portText = ""
        while !portText.hasSuffix("\n") {
            let byte = server.stdout.readData(ofLength: 1)
            if byte.isEmpty { break }
            portText += String(decoding: byte, as: UTF8.self)
        }
        guard let port = Int(portText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(server.pid, SIGKILL)
            _ = server.wait()
            throw POSIXError(.EIO)
        }
        return (port, server)
    }

    @Test("a redirect is not followed (a POST would turn into a GET): with max_retries it stops the run, nothing committed")
    func redirectIsAFailure() throws {
        let directory = TemporaryDirectory()
        let received = directory.path + "/received.txt"
        let (port, server) = try startServer(received)
        defer {
            kill(server.pid, SIGTERM)
            _ = server.wait()
        }
        let input = directory.path + "/in.log"
        try Data("one\ntwo\n".utf8).write(to: URL(fileURLWithPath: input))
        let result = try runPipeline(
            """
            name: moved
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(input)"], topic: raw }
            sinks:
              web: { type: http, inputs: [raw], url: "http://127.0.0.1:\(port)/moved", max_retries: 1 }
            """, named: "moved.yaml", in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("failed 2 times, last: HTTP 302"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: received))
        // Nothing was committed: the group has no offsets yet.
        let described = try weir(directory.path + "/data", ["groups", "describe", "moved.web"])
        #expect(!described.stdoutText.contains(" 2 "), "\(described.stdoutText)")
    }

    @Test("503 is retried, a 400 batch goes to the dead-letter topic, the rest arrives once")
    func retriesAndDeadLetters() throws {
        let directory = TemporaryDirectory()
        let received = directory.path + "/received.txt"
        let (port, server) = try startServer(received)
        defer {
            kill(server.pid, SIGTERM)
            _ = server.wait()
        }
        let input = directory.path + "/in.log"
        // One chunk, so one batch: the POSTs are [ok 0, ok 1] (503, then again), [ok 2, ok 3],
        // [ok 4, ok 5], [reject 6, reject 7] (400).
        try Data(((0..<6).map { "ok \($0)" } + ["reject 6", "reject 7"]).map { $0 + "\n" }.joined().utf8).write(
            to: URL(fileURLWithPath: input))
        let result = try runPipeline(
            """
            name: posting
            topics: { raw: {} }
            sources:
              f: { type: file, paths: ["\(input)"], topic: raw }
            sinks:
              web: { type: http, inputs: [raw], url: "http://127.0.0.1:\(port)/ingest", batch_size: 2, timeout_ms: 5000 }
            """, named: "http.yaml", in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("POST failed; retrying"))
        #expect(lines(of: try Data(contentsOf: URL(fileURLWithPath: received))) == (0..<6).map { "ok \($0)" })
        let letters = try weir(directory.path + "/data", ["consume", "posting.dlq", "--format", "json"])
        let dead = try lines(of: letters.stdout).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(dead.compactMap { $0["value"] as? String } == [#"{"message":"reject 6"}"#, #"{"message":"reject 7"}"#])
        let headers = (dead.first?["headers"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) { all, header in
            all[header["key"] as? String ?? ""] = header["value"] as? String
        }
        #expect(headers["weir.component"] == "web")
        #expect(headers["weir.reason"] == "HTTP 400 from http://127.0.0.1:\(port)/ingest: record refused")
    }
}
