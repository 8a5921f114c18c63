import Foundation
import Synchronization
import Testing
import WeirLog
import WeirServer

@testable import WeirPipeline

/// A pipeline with an `http_server` source, run in this process on a fresh log (on its
/// own thread, stopped as SIGTERM stops it), and a raw-socket HTTP client for it.
///
/// Everything that blocks (the run, the socket, waiting for the port) runs on a thread of
/// its own: the tests are async, so the cooperative pool stays free for the server's
/// handlers.
final class IngestHarness: @unchecked Sendable {  // `result` is behind `lock`
    let directory: String
    let log: EmbeddedLog
    let status = HTTPServerStatus()
    let stop = StopFlag()
    let runner: PipelineRunner
    private let lock = NSLock()
    private var result: Result<PipelineRunner.Summary, any Error>?
    private let finished = DispatchSemaphore(value: 0)
    /// `host:port` of the source.
    private(set) var address = ""

    /// The registry of these tests: the built-ins, `http_server` telling its address to
    /// `status`, and `extra` (a test's own sink).
    static func registry(
        _ status: HTTPServerStatus, extra: (inout ComponentRegistry) -> Void = { _ in }
    ) -> ComponentRegistry {
        var registry = ComponentRegistry.builtIn
        HTTPServerSource.register(in: &registry, status: { _ in status })
        extra(&registry)
        return registry
    }

    /// Loads `yaml` (with `{dir}` for the test's directory) and starts it.
    init(_ yaml: String, extra: (inout ComponentRegistry) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.path + "/weir-http-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        log = try EmbeddedLog(directory: directory + "/data")
        let registry = Self.registry(status, extra: extra)
        let text = yaml.replacingOccurrences(of: "{dir}", with: directory)
        let (definition, diagnostics) = PipelineLoader(catalog: registry).load(text: text, file: "test.yaml", defaultName: "test")
        guard let definition else { throw PipelineError(description: diagnostics.map(\.description).joined(separator: "\n")) }
        runner = try PipelineRunner(definition: definition, log: log, registry: registry)
        Thread.detachNewThread { [self, runner, stop] in
            let outcome = Result { try runner.run(once: false, stop: stop) }
            lock.withLock { result = outcome }
            finished.signal()
        }
    }

    deinit {
        try? log.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Waits for the source to listen.
    func started() async throws {
        let found = try await onThread { [status] in status.address(waitingUpTo: 30) }
        address = try #require(found, "the http_server source did not start listening")
    }

    /// Stops the run as SIGTERM does and waits for it to drain and return.
    @discardableResult
    func stopAndWait() async throws -> PipelineRunner.Summary {
        stop.set()
        return try await onThread { [self] in
            finished.wait()
            return try lock.withLock { result! }.get()
        }
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Records the topic holds, over its partitions.
    func appended(_ topic: String) throws -> Int64 {
        var total: Int64 = 0
        for partition in try log.topic(topic).partitions { total += try partition.endOffset }
        return total
    }

    /// Lines of a file (none if it does not exist yet).
    func lines(_ name: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path(name)) else { return [] }
        return data.split(separator: 0x0a).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Waits (up to 30 s, on a thread of its own) until `condition` holds.
    func waitUntil(_ what: String, _ condition: @escaping @Sendable () -> Bool) async throws {
        let met = try await onThread {
            let deadline = Date().addingTimeInterval(30)
            while !condition() {
                if Date() > deadline { return false }
                usleep(10_000)
            }
            return true
        }
        if !met { Issue.record("timed out waiting until \(what)") }
    }

    /// POSTs `body` to `path` and returns the answer.
    func post(
        _ body: [UInt8], type: String? = "text/plain", path: String = "/", headers: [String] = []
    ) async throws -> HTTPAnswer {
        let request = HTTPAnswer.request(body, type: type, path: path, headers: headers)
        return try await onThread { [address] in try RawHTTP(address).exchange(request) }
    }

    func post(_ text: String, type: String? = "text/plain", path: String = "/", headers: [String] = []) async throws -> HTTPAnswer {
        try await post(Array(text.utf8), type: type, path: path, headers: headers)
    }
}

/// Runs `body` on a new thread (it may block) and returns its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { done in
        Thread.detachNewThread { done.resume(with: Result { try body() }) }
    }
}

/// An HTTP answer as a raw socket read it.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    /// A request with `Connection: close` (the answer ends with the connection).
    static func request(_ body: [UInt8], type: String?, path: String, headers: [String]) -> [UInt8] {
        var head = "POST \(path) HTTP/1.1\r\nHost: weir\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        if let type { head += "Content-Type: \(type)\r\n" }
        for header in headers { head += header + "\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    init(parsing bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw RawHTTP.Failure(description: "no HTTP answer: \(text)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw RawHTTP.Failure(description: "no status line: \(lines[0])")
        }
        self.status = status
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        body = String(text[split.upperBound...])
    }
}

/// A blocking HTTP/1.1 client over one TCP connection to 127.0.0.1.
struct RawHTTP {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let fd: Int32

    /// Connects to `address` (`host:port`).
    init(_ address: String) throws {
        guard let connected = Self.connect(address) else { throw Failure(description: "cannot connect to \(address)") }
        fd = connected
    }

    /// A connected socket, or nil when nothing listens there.
    static func connect(_ address: String) -> Int32? {
        let port = UInt16(address.split(separator: ":").last!)!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        target.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            sent += n
        }
    }

    /// Reads until the server closes the connection, then closes it too.
    func answer() throws -> HTTPAnswer {
        defer { close(fd) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return try HTTPAnswer(parsing: received)
    }

    func exchange(_ request: [UInt8]) throws -> HTTPAnswer {
        do {
            try send(request)
        } catch {
            // A server that answers early (413) may close before the whole body is sent.
        }
        return try answer()
    }
}
