import Foundation
import Testing
import WeirTestSupport

/// kcat (librdkafka 2.0.2, built with SSL and SASL/SCRAM) and confluent-kafka against
/// `weir serve --kafka-users` with SASL/SCRAM-SHA-256, and over TLS (SASL_SSL) with a
/// self-signed certificate the `openssl` CLI makes for 127.0.0.1.
@Suite struct RealClientSecurityTests {
    static func kcatSCRAM(_ user: String, _ password: String, tls ca: String? = nil) -> [String] {
        [
            "-X", "security.protocol=\(ca == nil ? "SASL_PLAINTEXT" : "SASL_SSL")", "-X", "sasl.mechanisms=SCRAM-SHA-256",
            "-X", "sasl.username=\(user)", "-X", "sasl.password=\(password)",
        ] + (ca.map { ["-X", "ssl.ca.location=\($0)"] } ?? [])
    }

    /// A certificate for IP 127.0.0.1 and its key, made by `openssl`: (certificate, key).
    static func selfSigned(in directory: TemporaryDirectory) async throws -> (String, String) {
        let certificate = directory.path + "/cert.pem"
        let key = directory.path + "/key.pem"
        let made = try await Clients.run(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
            ])
        #expect(made.status == 0, "openssl: \(made.stderr)")
        return (certificate, key)
    }

    /// confluent-kafka produces one record and reads it back with SCRAM-SHA-256 (and TLS
    /// when `ca` is given); prints the values it read.
    static func confluentRoundTrip(_ address: String, topic: String, ca: String? = nil) -> [String] {
        let security =
            ca.map { #""security.protocol": "SASL_SSL", "ssl.ca.location": "\#($0)","# } ?? #""security.protocol": "SASL_PLAINTEXT","#
        return [
            "python3", "-c",
            """
            from confluent_kafka import Consumer, Producer
            base = {"bootstrap.servers": "\(address)", \(security) "sasl.mechanisms": "SCRAM-SHA-256",
                    "sasl.username": "alice", "sasl.password": "s3cret"}
            p = Producer(base)
            p.produce("\(topic)", b"from confluent")
            assert p.flush(30) == 0
            c = Consumer({**base, "group.id": "g", "auto.offset.reset": "earliest"})
            c.subscribe(["\(topic)"])
            seen = []
            for _ in range(60):
                m = c.poll(0.5)
                if m is not None and m.error() is None:
                    seen.append(m.value().decode())
                if "from confluent" in seen:
                    break
            c.close()
            print(seen)
            """,
        ]
    }

    @Test func scramUsersProduceAndConsumeAndAWrongPasswordIsRefused() async throws {
        let directory = TemporaryDirectory()
        let users = try directory.write("users", "alice:s3cret\nbob:with:colon\n")
        let bench = try await WireBench.start(topics: ["private": 1], extra: ["--kafka-users", users])
        let produced = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-P", "-t", "private"] + Self.kcatSCRAM("alice", "s3cret"),
            input: Data("secret line\n".utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-C", "-t", "private", "-e", "-q", "-m", "10"] + Self.kcatSCRAM("bob", "with:colon"))
        #expect(consumed.stdoutText == "secret line\n", "\(consumed.stderr)")
        let wrong = try await Clients.run(Clients.kcat, ["-b", bench.address, "-L", "-m", "3"] + Self.kcatSCRAM("alice", "guess"))
        #expect(wrong.status != 0)
        #expect(!wrong.stdoutText.contains("private"))
        #expect(wrong.stderr.contains("Authentication failed"), "\(wrong.stderr)")
        let unknown = try await Clients.run(Clients.kcat, ["-b", bench.address, "-L", "-m", "3"] + Self.kcatSCRAM("mallory", "s3cret"))
        #expect(unknown.status != 0)
        #expect(!unknown.stdoutText.contains("private"))
        let python = try await Clients.run("/usr/bin/env", Self.confluentRoundTrip(bench.address, topic: "private"))
        #expect(python.stdoutText == "['secret line', 'from confluent']\n", "\(python.stderr.suffix(1000))")
        #expect(bench.serving.stderr.contains("invalid username or password"))
        #expect(try await bench.finish() == 0)
    }

    @Test func saslSSLRoundTripsAndPlaintextClientsFailCleanly() async throws {
        let directory = TemporaryDirectory()
        let (certificate, key) = try await Self.selfSigned(in: directory)
        let users = try directory.write("users", "alice:s3cret\n")
        let bench = try await WireBench.start(
            topics: ["sealed": 1], extra: ["--kafka-users", users, "--kafka-tls-cert", certificate, "--kafka-tls-key", key])
        let produced = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-P", "-t", "sealed"] + Self.kcatSCRAM("alice", "s3cret", tls: certificate),
            input: Data("one\ntwo\n".utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try await Clients.run(
            Clients.kcat,
            ["-b", bench.address, "-C", "-t", "sealed", "-e", "-q"] + Self.kcatSCRAM("alice", "s3cret", tls: certificate))
        #expect(consumed.stdoutText == "one\ntwo\n", "\(consumed.stderr)")
        // SASL/PLAIN inside TLS works too.
        let plain = try await Clients.run(
            Clients.kcat,
            [
                "-b", bench.address, "-L", "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice",
                "-X", "sasl.password=s3cret", "-X", "ssl.ca.location=\(certificate)",
            ])
        #expect(plain.stdoutText.contains("topic \"sealed\""), "\(plain.stderr)")
        // Without TLS, a client gets nothing and gives up.
        let cleartext = try await Clients.run(
            Clients.kcat, ["-b", bench.address, "-L", "-m", "3"] + Self.kcatSCRAM("alice", "s3cret"))
        #expect(cleartext.status != 0)
        #expect(!cleartext.stdoutText.contains("sealed"))
        // A client that does not trust the certificate refuses it.
        let untrusted = try await Clients.run(
            Clients.kcat,
            ["-b", bench.address, "-L", "-m", "3"] + Self.kcatSCRAM("alice", "s3cret", tls: "/etc/ssl/certs/ca-certificates.crt"))
        #expect(untrusted.status != 0)
        #expect(!untrusted.stdoutText.contains("sealed"))
        let python = try await Clients.run("/usr/bin/env", Self.confluentRoundTrip(bench.address, topic: "sealed", ca: certificate))
        #expect(python.stdoutText == "['one', 'two', 'from confluent']\n", "\(python.stderr.suffix(1000))")
        #expect(try await bench.finish() == 0)
    }

    /// TLS files that cannot be read, or a certificate without its key, stop `weir serve`
    /// with one line.
    @Test func badTLSFilesAreOneLineErrors() async throws {
        let directory = TemporaryDirectory()
        let notPEM = try directory.write("cert.pem", "not a certificate\n")
        let refused = try await Clients.run(
            Paths.weir,
            [
                "serve", "--kafka", "127.0.0.1:0", "--kafka-tls-cert", notPEM, "--kafka-tls-key", notPEM, "--data-dir",
                directory.path + "/data",
            ])
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("weir: cannot read the Kafka TLS certificate \(notPEM) (PEM)"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        let alone = try await Clients.run(
            Paths.weir, ["serve", "--kafka", "127.0.0.1:0", "--kafka-tls-cert", notPEM, "--data-dir", directory.path + "/data"])
        #expect(alone.status != 0)
        #expect(alone.stderr.contains("--kafka-tls-cert and --kafka-tls-key go together"), "\(alone.stderr)")
    }
}
