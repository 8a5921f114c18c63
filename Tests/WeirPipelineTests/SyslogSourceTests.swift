import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing
import WeirLog
import WeirTestSupport
import WeirValues

@testable import WeirPipeline

/// Real runs: util-linux `logger` (and raw sockets) send to a `syslog` source listening
/// on a port the system chose; `parse_syslog` makes the fields, a file sink writes them.
@Suite("syslog source: logger over TCP and UDP through a pipeline")
struct SyslogSourceTests {
    /// A running pipeline: syslog source → topic → raw.txt (as received) and
    /// parse_syslog → out.json.
    struct Run {
        let h: RunnerHarness
        let port: Int

        /// The objects out.json holds so far.
        var parsed: [[String: Any]] {
            h.lines("out.json").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    func start(mode: String = "both", extra: String = "", registry: ComponentRegistry = .builtIn) throws -> Run {
        let h = try RunnerHarness()
        h.registry = registry
        let handler = InMemoryLogHandler()
        h.logger = Logger(label: "test") { _ in handler }
        try h.start(
            """
            name: sys
            topics: { logs: { partitions: 1 } }
            sources:
              in: { type: syslog, address: "127.0.0.1:0", mode: \(mode), topic: logs\(extra) }
            transforms:
              parsed: { type: parse_syslog, inputs: [logs] }
            sinks:
              raw: { type: file, inputs: [logs], path: "\(h.path("raw.txt"))", encoding: text }
              out: { type: file, inputs: [parsed], path: "\(h.path("out.json"))", encoding: json }
            """)
        var port = 0
        h.waitUntil("the source listens") {
            let listening = handler.entries.filter { "\($0.message)" == "syslog source listening" }
            guard listening.count == (mode == "both" ? 2 : 1), let address = listening.first?.metadata["address"] else { return false }
            port = Int("\(address)".split(separator: ":").last ?? "") ?? 0
            return true
        }
        return Run(h: h, port: port)
    }

    /// Runs /usr/bin/logger (util-linux) to its end.
    func logger(_ arguments: [String]) throws {
        let null = open("/dev/null", O_RDWR)
        defer { close(null) }
        let pid = try ChildSpawn.spawn("/usr/bin/logger", arguments, descriptors: [0: null, 1: null, 2: null])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        #expect(status == 0, "logger \(arguments) exited with \(status)")
    }

    /// Connects to the source, writes `pieces` one write each, and returns what reading
    /// then gives: 0 once the source closed the connection (-2 when it reset it, as a
    /// socket closed with bytes unread does).
    func send(_ port: Int, _ pieces: [String], thenRead: Bool = false) throws -> Int {
        let fd = try #require(connectLoopback(port: port))
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        for piece in pieces {
            let bytes = Array(piece.utf8)
            #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        }
        guard thenRead else { return -1 }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        let got = read(fd, &byte, 1)
        return got < 0 && errno == ECONNRESET ? -2 : got
    }

    @Test("logger --tcp --rfc5424 (newline framing): every header field, structured data and the raw line")
    func tcpRFC5424() throws {
        let run = try start(mode: "tcp")
        try logger([
            "--tcp", "--server", "127.0.0.1", "--port", "\(run.port)", "--rfc5424", "-t", "billing", "--id=4242", "--msgid", "ID47",
            "--sd-id", "zoo@32473", "--sd-param", "tiger=\"hungry\"", "-p", "local3.warning", "paid 12 EUR",
        ])
        run.h.waitUntil("the message is written") { run.parsed.count == 1 }
        try run.h.stopAndWait()
        let fields = try #require(run.parsed.first)
        #expect(fields["facility"] as? Int == 19)
        #expect(fields["severity"] as? Int == 4)
        #expect(fields["facility_name"] as? String == "local3")
        #expect(fields["app"] as? String == "billing")
        #expect(fields["procid"] as? String == "4242")
        #expect(fields["msgid"] as? String == "ID47")
        #expect(fields["message"] as? String == "paid 12 EUR")
        #expect((fields["host"] as? String)?.isEmpty == false)
        #expect((fields["timestamp"] as? String)?.hasSuffix("Z") == true)
        let data = fields["structured_data"] as? [String: Any]
        #expect((data?["zoo@32473"] as? [String: Any])?["tiger"] as? String == "hungry")
        let raw = run.h.lines("raw.txt")
        #expect(raw.count == 1)
        #expect(raw.first?.hasPrefix("<156>1 ") == true)
        #expect(raw.first?.hasSuffix(" paid 12 EUR") == true)
    }

    @Test("logger --tcp --octet-count -f: many RFC 6587 octet-counted frames on one connection, in order")
    func tcpOctetCounted() throws {
        let run = try start()
        let lines = (1...50).map { "line \($0) of the file" }
        try run.h.append("input.txt", lines.joined(separator: "\n") + "\n")
        try logger([
            "--tcp", "--octet-count", "--server", "127.0.0.1", "--port", "\(run.port)", "-t", "batch", "-f", run.h.path("input.txt"),
        ])
        run.h.waitUntil("50 messages are written") { run.parsed.count == 50 }
        try run.h.stopAndWait()
        #expect(run.parsed.map { $0["message"] as? String } == lines)
        #expect(run.parsed.allSatisfy { $0["app"] as? String == "batch" })
    }

    @Test("five logger --tcp --octet-count senders at once, 20,000 messages each: all 100,000 arrive, in order per connection")
    func fiveConcurrentSenders() throws {
        let run = try start(mode: "tcp")
        let (senders, each) = (5, 20_000)
        for sender in 0..<senders {
            try run.h.append("input\(sender).txt", (0..<each).map { "c\(sender) \($0)" }.joined(separator: "\n") + "\n")
        }
        let null = open("/dev/null", O_RDWR)
        defer { close(null) }
        let pids = try (0..<senders).map { sender in
            try ChildSpawn.spawn(
                "/usr/bin/logger",
                [
                    "--tcp", "--octet-count", "--server", "127.0.0.1", "--port", "\(run.port)", "-t", "load", "-f",
                    run.h.path("input\(sender).txt"),
                ],
                descriptors: [0: null, 1: null, 2: null])
        }
        for pid in pids {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            #expect(status == 0, "a logger exited with \(status)")
        }
        run.h.waitUntil("100,000 messages are appended and written") { run.h.lines("raw.txt").count == senders * each }
        try run.h.stopAndWait()
        var seen = Array(repeating: [Int](), count: senders)
        for line in run.h.lines("raw.txt") {
            let words = line.split(separator: " ")
            guard let tag = words.dropLast().last, tag.hasPrefix("c"), let sender = Int(tag.dropFirst()), let n = Int(words.last ?? "")
            else { continue }
            seen[sender].append(n)
        }
        #expect(seen.map(\.count) == Array(repeating: each, count: senders))
        #expect(seen.allSatisfy { $0 == Array(0..<each) }, "each connection's messages in the order sent")
    }

    @Test("logger --udp --rfc3164: a BSD message in a datagram, on the port TCP got")
    func udpRFC3164() throws {
        let run = try start()
        try logger([
            "--udp", "--rfc3164", "--server", "127.0.0.1", "--port", "\(run.port)", "-t", "sshd", "--id=24200", "-p", "auth.info",
            "Invalid user admin from 203.0.113.9",
        ])
        run.h.waitUntil("the datagram is written") { run.parsed.count == 1 }
        let summary = try run.h.stopAndWait()
        let fields = try #require(run.parsed.first)
        #expect(fields["facility_name"] as? String == "auth")
        #expect(fields["severity_name"] as? String == "info")
        #expect(fields["app"] as? String == "sshd")
        #expect(fields["procid"] as? String == "24200")
        #expect(fields["message"] as? String == "Invalid user admin from 203.0.113.9")
        #expect(run.h.lines("raw.txt").first?.hasPrefix("<38>") == true)
        #expect(summary.appended["in"] == 1)
        #expect(run.h.runner?.stats(of: "in").counts.dropped == 0)
    }

    @Test("raw socket: octet-counted frames several to a write and split across writes, newline frames between")
    func rawFrames() throws {
        let run = try start(mode: "tcp")
        let first = "<13>1 2026-12-04T10:00:00Z web nginx 7 - - first"
        let second = "<14>1 2026-12-04T10:00:01Z web nginx 7 - - second"
        let third = "<15>Dec  4 10:00:02 web cron[9]: third"
        let fourth = "<13>1 2026-12-04T10:00:03Z web nginx 7 - - fourth, split"
        let counted = { (message: String) in "\(message.utf8.count) \(message)" }
        let stream = counted(first) + counted(second) + third + "\n" + counted(fourth)
        let cut = stream.utf8.count - 10
        _ = try send(
            run.port,
            [
                String(decoding: Array(stream.utf8)[..<cut], as: UTF8.self),
                String(decoding: Array(stream.utf8)[cut...], as: UTF8.self),
            ])
        run.h.waitUntil("four messages are written") { run.parsed.count == 4 }
        try run.h.stopAndWait()
        #expect(run.h.lines("raw.txt") == [first, second, third, fourth])
        #expect(run.parsed.map { $0["message"] as? String } == ["first", "second", "third", "fourth, split"])
    }

    @Test("a bad octet count closes the connection: what came before is appended, the bad frame is dead-lettered")
    func badOctetCount() throws {
        let run = try start(mode: "tcp", extra: ", max_frame_bytes: 1024")
        let good = "<13>1 2026-12-04T10:00:00Z web app - - - good"
        let closed = try send(run.port, ["\(good.utf8.count) \(good)", "99999 <13>1 too long"], thenRead: true)
        #expect(closed == 0 || closed == -2)
        run.h.waitUntil("the good message is written") { run.parsed.count == 1 }
        try run.h.stopAndWait()
        #expect(run.parsed.first?["message"] as? String == "good")
        let letters = try run.h.log.topic("sys.dlq").partitions[0]
        var reasons: [String] = []
        var reader = PartitionReader(partition: letters, from: 0)
        try reader.read(upTo: letters.endOffset) { view in
            reasons += view.headers.filter { $0.key == "weir.reason" }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            return true
        }
        #expect(reasons == ["an octet count of 99999 over max_frame_bytes (1024): the connection is closed"])
        #expect(run.h.runner?.stats(of: "in").counts.errors == 1)
    }
}

@Suite("syslog source: options and back-pressure")
struct SyslogSourceUnitTests {
    @Test("address: host:port, [v6]:port, or a port alone on 127.0.0.1; anything else is refused")
    func addresses() throws {
        #expect(try SyslogSource.parse(address: "0.0.0.0:514") == ("0.0.0.0", 514))
        #expect(try SyslogSource.parse(address: "5514") == ("127.0.0.1", 5514))
        #expect(try SyslogSource.parse(address: ":5514") == ("127.0.0.1", 5514))
        #expect(try SyslogSource.parse(address: "[::1]:6514") == ("::1", 6514))
        #expect(throws: PipelineError.self) { try SyslogSource.parse(address: "localhost") }
        #expect(throws: PipelineError.self) { try SyslogSource.parse(address: "127.0.0.1:70000") }
    }

    @Test("a full inbox pauses the connection that filled it until the batch is taken, and drops datagrams, counted")
    func inbox() {
        let inbox = SyslogInbox(limit: 10)
        let resumed = Flag()
        let frame = Array("<13>abcdef".utf8)
        #expect(!inbox.add(resume: { resumed.set() }) { batch in frame.prefix(5).withUnsafeBytes { batch.add($0) } })
        #expect(inbox.add(resume: { resumed.set() }) { batch in frame.withUnsafeBytes { batch.add($0) } })
        frame.withUnsafeBytes { inbox.add(datagram: $0, maxFrameBytes: 64) }
        #expect(!resumed.isSet)
        var batch = SyslogBatch()
        #expect(inbox.take(into: &batch) == 1)
        #expect(resumed.isSet)
        #expect(batch.frames.map { String(decoding: batch.bytes[$0], as: UTF8.self) } == ["<13>a", "<13>abcdef"])
        frame.withUnsafeBytes { inbox.add(datagram: $0, maxFrameBytes: 4) }
        #expect(inbox.take(into: &batch) == 0)
        #expect(batch.truncated == 1)
        #expect(batch.frames.map { String(decoding: batch.bytes[$0], as: UTF8.self) } == ["<13>"])

        // Once the listeners are closed, a connection paused before is not resumed.
        let late = Flag()
        #expect(inbox.add(resume: { late.set() }) { batch in frame.withUnsafeBytes { batch.add($0) } })
        inbox.close()
        _ = inbox.take(into: &batch)
        #expect(!late.isSet)
    }

    @Test("a connection is not read while the inbox is full: the sender blocks, and nothing is lost once it is taken")
    func tcpPausesReading() throws {
        let inbox = SyslogInbox(limit: 1024)
        let listener = try SyslogListener(host: "127.0.0.1", port: 0, mode: .tcp, inbox: inbox, maxFrameBytes: 1024)
        defer { listener.close() }
        let port = try #require(Int(listener.bound.first?.address.split(separator: ":").last ?? ""))
        let fd = try #require(connectLoopback(port: port))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        // Lines until the socket is full (the source stopped reading), at most 256 MiB.
        var sent: [UInt8] = []
        var line = 0
        var unsent: ArraySlice<UInt8> = []
        while sent.count < 256 << 20 {
            var chunk: [UInt8] = []
            while chunk.count < 1 << 16 {
                chunk += Array("<13>held line \(line)\n".utf8)
                line += 1
            }
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { sent += chunk[..<n] }
            if n < chunk.count {
                unsent = chunk[max(0, n)...]
                break
            }
        }
        #expect(sent.count < 256 << 20, "the sender never blocked: the source kept reading")
        var batch = SyslogBatch()
        _ = inbox.take(into: &batch)
        #expect(batch.bytes.count < 1 << 20, "\(batch.bytes.count) bytes were read past the limit")
        // Taken, the connection is read again: the sender's last chunk goes out whole, so
        // the stream ends with a whole line. (Closed with bytes still unsent into a full
        // window, the kernel sends them only at its next window probe, which backs off to
        // minutes: that is TCP's delay, not the source's.)
        var frames = batch.frames.count
        var last = batch.frames.last.map { String(decoding: batch.bytes[$0], as: UTF8.self) }
        func takeMore() {
            _ = inbox.take(into: &batch)
            frames += batch.frames.count
            if let frame = batch.frames.last { last = String(decoding: batch.bytes[frame], as: UTF8.self) }
        }
        while !unsent.isEmpty {
            let n = unsent.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                sent += unsent.prefix(n)
                unsent = unsent.dropFirst(n)
            } else {
                takeMore()
                usleep(1000)
            }
        }
        close(fd)
        // Then to its end.
        let expected = sent.split(separator: 0x0a).count
        let deadline = ContinuousClock.now + .seconds(60)
        while frames < expected && ContinuousClock.now < deadline {
            takeMore()
            usleep(1000)
        }
        #expect(frames == expected)
        #expect(last == String(decoding: sent.split(separator: 0x0a).last ?? [], as: UTF8.self))
    }

    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
    }
}
