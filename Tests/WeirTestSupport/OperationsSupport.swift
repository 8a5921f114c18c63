package import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `weir run --http 0` in the background (the port the kernel chose is read from its
/// stderr, which goes to a file), stopped with SIGTERM.
package final class RunningWeir {
    package let child: ChildProcess
    /// `127.0.0.1:PORT`.
    package let address: String
    package let errors: String
    /// The bearer token this side sends (when the run was given one).
    package let token: String?
    /// The `Authorization` header this side sends: `authorization` given, else the token's.
    package let authorization: String?
    private var status: Int32?

    /// `port`: where it serves (0: a port the kernel chooses), on 127.0.0.1.
    package init(
        _ bench: PluginBench, extra: [String] = [], token: String? = nil, authorization: String? = nil, environment: [String: String] = [:],
        port: Int = 0
    ) throws {
        errors = bench.root + "/weir.err"
        self.token = token
        self.authorization = authorization ?? token.map { "Bearer \($0)" }
        let arguments = (["run", "--quiet", "--http", "\(port)", "--data-dir", bench.data] + extra + [bench.pipeline])
            .joined(separator: " ")
        // A run before this one on the same bench said where it served in the same file.
        try? FileManager.default.removeItem(atPath: errors)
        child = try ChildProcess("/bin/sh", ["-c", "exec \(Paths.weir) \(arguments) 2> \(errors)"], environment: environment)
        let errors = self.errors
        address = try waitUntil("weir says where it serves") {
            let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            guard let range = text.range(of: "on http://") else { return nil }
            return String(text[range.upperBound...].prefix { !$0.isWhitespace })
        }
        // The endpoint serves before the log opens; wait until the pipelines run.
        _ = try waitUntil("the pipelines run") { () -> Bool? in
            let pipelines = try json("/api/pipelines").object["pipelines"] as? [[String: Any]] ?? []
            return !pipelines.isEmpty && pipelines.allSatisfy { $0["state"] as? String == "running" } ? true : nil
        }
    }

    deinit { _ = stop() }

    package var url: String { "http://" + address }

    package var stderr: String { (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "" }

    /// SIGTERM, without waiting.
    package func terminate() { kill(child.pid, SIGTERM) }

    /// SIGTERM, then the exit status.
    package func stop() -> Int32 {
        if let status { return status }
        terminate()
        return waitForExit()
    }

    /// The exit status, once it exits.
    package func waitForExit() -> Int32 {
        if let status { return status }
        let status = child.wait()
        self.status = status
        return status
    }

    /// GETs `path` (with the token, if any): status and body.
    package func get(_ path: String) throws -> (status: Int, body: Data) {
        try httpGet(url + path, authorization: authorization)
    }

    /// GETs `path` with this `Authorization` header (nil: none).
    package func get(_ path: String, authorization: String?) throws -> (status: Int, body: Data) {
        try httpGet(url + path, authorization: authorization)
    }

    /// GETs `path` and decodes its JSON object.
    package func json(_ path: String) throws -> (status: Int, object: [String: Any]) {
        let (status, body) = try get(path)
        let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        return (status, try #require(object, "\(path) answered \(String(decoding: body, as: UTF8.self))"))
    }

    /// `/metrics` as prometheus_client's parser reads it.
    package func scrape() throws -> Scrape {
        let result = try run("/usr/bin/env", ["python3", Paths.packageRoot + "/Tests/Operations/scrape.py", url + "/metrics"])
        guard result.status == 0 else { throw Failure(description: "scrape.py failed: \(result.stderr)") }
        return try Scrape(result.stdout)
    }

    /// The component's entry in `/api/pipelines`.
    package func component(_ pipeline: String, _ id: String) throws -> [String: Any] {
        let pipelines = try #require(try json("/api/pipelines").object["pipelines"] as? [[String: Any]])
        let components = try #require(pipelines.first { $0["name"] as? String == pipeline }?["components"] as? [[String: Any]])
        return try #require(components.first { $0["id"] as? String == id })
    }
}

/// Samples of one scrape, parsed by prometheus_client.
package struct Scrape {
    package var families: [String: String]
    package var samples: [(name: String, labels: [String: String], value: Double)]

    package init(_ data: Data) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        families = try #require(object["families"] as? [String: String])
        samples = try #require(object["samples"] as? [[String: Any]]).map {
            ($0["name"] as? String ?? "", $0["labels"] as? [String: String] ?? [:], ($0["value"] as? NSNumber)?.doubleValue ?? .nan)
        }
    }

    /// The sum of the samples named `name` whose labels include `labels` (nil if none).
    package func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }
}

package struct Failure: Error, CustomStringConvertible {
    package var description: String

    package init(description: String) { self.description = description }
}

/// Polls `condition` every 50 ms until it gives a value, for at most `seconds`.
package func waitUntil<T>(_ what: String, seconds: Double = 60, _ condition: () throws -> T?) throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if let value = try condition() { return value }
        if Date() > deadline { throw Failure(description: "timed out after \(seconds) s waiting until \(what)") }
        usleep(50_000)
    }
}

/// A GET with URLSession: status and body.
package func httpGet(_ url: String, authorization: String? = nil) throws -> (status: Int, body: Data) {
    var request = URLRequest(url: URL(string: url)!)
    request.timeoutInterval = 10
    if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var outcome: Result<(Int, Data), any Error> = .failure(Failure(description: "no answer from \(url)"))
    URLSession.shared.dataTask(with: request) { data, response, error in
        if let error {
            outcome = .failure(error)
        } else {
            outcome = .success(((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
        }
        done.signal()
    }.resume()
    done.wait()
    return try outcome.get()
}

/// What the pipe has within `seconds` (empty if nothing came).
package func readAvailable(_ handle: FileHandle, seconds: Double) -> Data {
    var poller = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
    guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return Data() }
    return handle.availableData
}

/// tmux on a socket of its own (killed with the server at the end).
package struct Tmux {
    package let socket = "weir-test-\(getpid())-\(UUID().uuidString.prefix(8))"

    package init() {}

    @discardableResult
    package func callAsFunction(_ arguments: String...) throws -> String {
        let result = try run("/usr/bin/env", ["tmux", "-L", socket] + arguments)
        guard result.status == 0 else { throw Failure(description: "tmux \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result.stdoutText
    }

    /// What the pane shows now.
    package func screen(_ session: String) throws -> String { try self("capture-pane", "-p", "-t", session) }

    package func killServer() { _ = try? run("/usr/bin/env", ["tmux", "-L", socket, "kill-server"]) }
}
