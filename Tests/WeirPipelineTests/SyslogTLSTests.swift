import Foundation
import Testing
import WeirLog
import WeirSyslogTLS
import WeirTestSupport

@testable import WeirPipeline

/// The `syslog` source with `tls` (WeirSyslogTLS): certificates the `openssl` CLI makes,
/// `openssl s_client` as the sender of RFC 5424 octet-counted frames (RFC 5425).
@Suite("syslog source: TLS on TCP")
struct SyslogTLSTests {
    static let registry: ComponentRegistry = {
        var registry = ComponentRegistry.builtIn
        SyslogTLSComponents.register(in: &registry)
        return registry
    }()

    /// A program run to its end: its exit status and what it wrote (stdout and stderr).
    static func run(_ arguments: [String], stdin: String = "/dev/null", in directory: String) throws -> (status: Int32, output: String) {
        let input = open(stdin, O_RDONLY)
        let outputPath = directory + "/output-\(UUID().uuidString)"
        let output = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer {
            close(input)
            close(output)
        }
        // `timeout`: a sender that would hang fails the test instead.
        let pid = try ChildSpawn.spawn("/usr/bin/timeout", ["60"] + arguments, descriptors: [0: input, 1: output, 2: output])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }

    /// A self-signed certificate for IP 127.0.0.1 and its key: (certificate, key).
    static func selfSigned(_ name: String, in directory: String) throws -> (String, String) {
        let (certificate, key) = (directory + "/\(name).pem", directory + "/\(name)-key.pem")
        let made = try run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
            ], in: directory)
        try #require(made.status == 0, "openssl req: \(made.output)")
        return (certificate, key)
    }

    /// `openssl s_client` sends `frames` (octet-counted) over TLS and closes on their end.
    static func sendTLS(
        port: Int, _ messages: [String], ca: String, client: (String, String)? = nil, in directory: String
    ) throws -> (status: Int32, output: String) {
        let frames = directory + "/frames-\(UUID().uuidString)"
        try messages.map { "\($0.utf8.count) \($0)" }.joined().write(toFile: frames, atomically: true, encoding: .utf8)
        var arguments = [
            "openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-quiet", "-no_ign_eof", "-CAfile", ca, "-verify_return_error",
        ]
        if let (certificate, key) = client { arguments += ["-cert", certificate, "-key", key] }
        return try run(arguments, stdin: frames, in: directory)
    }

    /// A plain TCP client writes `text` and reads until the listener ends the connection:
    /// true once it did (closed or reset), false if it was still open after 30 s.
    static func plainClientIsClosed(port: Int, _ text: String) throws -> Bool {
        let fd = try #require(connectLoopback(port: port))
        defer { close(fd) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {  // a TLS alert may come before the end
            let got = read(fd, &buffer, buffer.count)
            if got == 0 || (got < 0 && errno == ECONNRESET) { return true }
            if got < 0 { return false }
        }
    }

    @Test("octet-counted RFC 5424 frames over TLS arrive parsed; a plain TCP client is refused and the listener goes on")
    func framesOverTLS() throws {
        let directory = try Scratch()
        let (certificate, key) = try Self.selfSigned("server", in: directory.path)
        let run = try SyslogSourceTests().start(
            mode: "tcp", extra: ", tls: { certificate: \"\(certificate)\", key: \"\(key)\" }", registry: Self.registry)
        #expect(try Self.plainClientIsClosed(port: run.port, "<13>1 2026-12-04T10:00:00Z web app - - - in the clear\n"))
        let messages = [
            "<165>1 2026-12-04T10:00:00.003Z web billing 4242 ID47 [zoo@32473 tiger=\"hungry\"] paid 12 EUR",
            "<13>1 2026-12-04T10:00:01Z web nginx 7 - - second\nwith a newline inside",
            "<14>1 2026-12-04T10:00:02Z web nginx 7 - - third",
        ]
        let sent = try Self.sendTLS(port: run.port, messages, ca: certificate, in: directory.path)
        #expect(sent.status == 0, "s_client: \(sent.output)")
        run.h.waitUntil("three messages are written") { run.parsed.count == 3 }
        try run.h.stopAndWait()
        #expect(run.parsed.map { $0["app"] as? String } == ["billing", "nginx", "nginx"])
        #expect(run.parsed.first?["msgid"] as? String == "ID47")
        #expect(run.parsed.last?["message"] as? String == "third")
        #expect(!run.h.lines("raw.txt").contains { $0.contains("in the clear") })
        #expect(run.h.lines("raw.txt").first == messages[0])
    }

    @Test("client_ca: a client without a certificate the CA signed is refused; one with it is heard")
    func clientCertificates() throws {
        let directory = try Scratch()
        let (certificate, key) = try Self.selfSigned("server", in: directory.path)
        let client = try Self.selfSigned("client", in: directory.path)
        let stranger = try Self.selfSigned("stranger", in: directory.path)
        let run = try SyslogSourceTests().start(
            mode: "tcp", extra: ", tls: { certificate: \"\(certificate)\", key: \"\(key)\", client_ca: \"\(client.0)\" }",
            registry: Self.registry)
        let anonymous = try Self.sendTLS(
            port: run.port, ["<13>1 2026-12-04T10:00:00Z web app - - - anonymous"], ca: certificate, in: directory.path)
        let unknown = try Self.sendTLS(
            port: run.port, ["<13>1 2026-12-04T10:00:00Z web app - - - unknown"], ca: certificate, client: stranger,
            in: directory.path)
        let known = try Self.sendTLS(
            port: run.port, ["<13>1 2026-12-04T10:00:00Z web app - - - known"], ca: certificate, client: client, in: directory.path)
        #expect(known.status == 0, "s_client: \(known.output)")
        run.h.waitUntil("the known client's message is written") { run.parsed.count == 1 }
        try run.h.stopAndWait()
        #expect(run.h.lines("raw.txt") == ["<13>1 2026-12-04T10:00:00Z web app - - - known"])
        // Under TLS 1.3 the client may only learn of the refusal after sending: its exit
        // status says little, what arrived says it all.
        _ = (anonymous, unknown)
    }

    @Test("a certificate or key that cannot be used is reported at the option naming it, before anything listens")
    func loadErrors() throws {
        let directory = try Scratch()
        let (certificate, key) = try Self.selfSigned("server", in: directory.path)
        let garbage = directory.path + "/garbage.pem"
        try "not a PEM file\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let other = try Self.selfSigned("other", in: directory.path)
        func diagnostics(_ tls: String, mode: String = "tcp", registry: ComponentRegistry = Self.registry) -> [String] {
            let text = """
                topics: { logs: {} }
                sources:
                  in:
                    type: syslog
                    address: "127.0.0.1:0"
                    mode: \(mode)
                    topic: logs
                    tls:
                \(tls)
                """
            return PipelineLoader(catalog: registry).load(text: text, file: "p.yaml", defaultName: "p").diagnostics.map(\.description)
        }
        let missing = directory.path + "/missing.pem"
        #expect(
            diagnostics("      certificate: \(missing)\n      key: \(key)") == [
                "p.yaml:9:20: source 'in': tls.certificate '\(missing)' cannot be read: No such file or directory"
            ])
        #expect(
            diagnostics("      certificate: \(garbage)\n      key: \(key)").first?.hasPrefix(
                "p.yaml:9:20: source 'in': tls.certificate '\(garbage)' holds no") == true)
        #expect(
            diagnostics("      certificate: \(certificate)\n      key: \(garbage)").first?.hasPrefix(
                "p.yaml:10:12: source 'in': tls.key '\(garbage)' holds no usable PEM private key") == true)
        #expect(
            diagnostics("      certificate: \(certificate)\n      key: \(other.1)").first?.hasPrefix(
                "p.yaml:10:12: source 'in': tls.key '\(other.1)' cannot be used with the certificate") == true)
        #expect(
            diagnostics("      certificate: \(certificate)\n      key: \(key)\n      client_ca: \(missing)") == [
                "p.yaml:11:18: source 'in': tls.client_ca '\(missing)' cannot be read: No such file or directory"
            ])
        #expect(
            diagnostics("      certificate: \(certificate)\n      key: \(key)", mode: "both") == [
                "p.yaml:9:7: source 'in': tls needs mode: tcp (UDP cannot carry TLS)"
            ])
        #expect(diagnostics("      certificate: \(certificate)\n      key: \(key)").isEmpty)
        #expect(
            diagnostics("      certificate: \(certificate)\n      key: \(key)", registry: .builtIn).first?.contains(
                "tls needs a weir built with TLS") == true)
    }

    /// A directory of the test's own, removed with it.
    final class Scratch {
        let path: String

        init() throws {
            path = FileManager.default.temporaryDirectory.path + "/weir-syslog-tls-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }
}
