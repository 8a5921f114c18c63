import Foundation
import NIOCore
import Testing
import WeirKafka

/// Frames the broker cannot take close the connection they came on, and only that one;
/// the server says why on stderr.
@Suite struct WireConnectionTests {
    @Test func aFrameOverTheLimitClosesThatConnectionOnly() async throws {
        let bench = try await WireBench.start(topics: ["orders": 1], extra: ["--kafka-max-request-bytes", "1024"])
        let offender = try await bench.connect(clientID: "offender")
        let bystander = try await bench.connect(clientID: "bystander")
        #expect(try await offender.call(ApiVersionsAPI.self, ApiVersionsAPI.Request(), version: 2).errorCode == .none)
        #expect(try await bystander.call(ApiVersionsAPI.self, ApiVersionsAPI.Request(), version: 2).errorCode == .none)

        // A size prefix of 10,000 and the start of a Metadata request.
        var frame = ByteBuffer()
        frame.writeInteger(Int32(10_000))
        RequestHeader(apiKey: APIKey.metadata.rawValue, apiVersion: 1, correlationID: 7, clientID: "offender")
            .write(to: &frame, flexible: false)
        frame.writeRepeatingByte(0, count: 200)
        let bytes = Array(frame.readableBytesView)
        let closed = try await onOwnThread {
            try offender.sendRaw(bytes)
            return offender.isClosed(within: 10)
        }
        #expect(closed)

        let metadata = try await bystander.call(MetadataAPI.self, MetadataAPI.Request(topics: ["orders"]), version: 1)
        #expect(metadata.topics.map(\.name) == ["orders"])
        // A warning, so at the default log level.
        let line = try await bench.serving.logLine(containing: ["kafka connection closed", "client=offender"])
        #expect(line.contains("warning"))
        #expect(line.contains("a frame of 10000 bytes, over the limit of 1024"))
        // And new connections are still served.
        let newcomer = try await bench.connect()
        #expect(try await newcomer.call(ApiVersionsAPI.self, ApiVersionsAPI.Request(), version: 0).errorCode == .none)
        #expect(try await bench.finish() == 0)
    }

    @Test func aRequestWithAGarbageBodyClosesThatConnectionOnly() async throws {
        let bench = try await WireBench.start(topics: ["orders": 1])
        let offender = try await bench.connect(clientID: "garbage")
        let bystander = try await bench.connect(clientID: "bystander")

        // A whole frame: a Metadata v1 header, then a topic array of 5 with nothing after it.
        var body = ByteBuffer()
        RequestHeader(apiKey: APIKey.metadata.rawValue, apiVersion: 1, correlationID: 1, clientID: "garbage")
            .write(to: &body, flexible: false)
        body.writeInteger(Int32(5))
        var frame = ByteBuffer()
        frame.writeInteger(Int32(body.readableBytes))
        frame.writeBuffer(&body)
        let bytes = Array(frame.readableBytesView)
        let closed = try await onOwnThread {
            try offender.sendRaw(bytes)
            return offender.isClosed(within: 10)
        }
        #expect(closed)

        let metadata = try await bystander.call(MetadataAPI.self, MetadataAPI.Request(topics: ["orders"]), version: 1)
        #expect(metadata.topics.first?.errorCode == KafkaErrorCode.none)
        let line = try await bench.serving.logLine(containing: ["kafka connection closed", "client=garbage"])
        #expect(line.contains("warning"))
        #expect(line.contains("reason="))
        #expect(!bench.serving.stderr.contains("client=bystander"))
        #expect(try await bench.finish() == 0)
    }

    /// An API the broker does not serve (SaslHandshake before SASL exists) closes the
    /// connection, as Kafka does for a request it cannot answer in a form the client reads.
    @Test func anUnservedAPIClosesThatConnectionOnly() async throws {
        let bench = try await WireBench.start()
        let offender = try await bench.connect(clientID: "sasl")
        let bystander = try await bench.connect(clientID: "bystander")
        let closed = try await onOwnThread {
            try offender.send(SaslHandshakeAPI.self, SaslHandshakeAPI.Request(mechanism: "PLAIN"), version: 1)
            return offender.isClosed(within: 10)
        }
        #expect(closed)
        #expect(try await bystander.call(ApiVersionsAPI.self, ApiVersionsAPI.Request(), version: 1).errorCode == .none)
        _ = try await bench.serving.logLine(containing: ["kafka connection closed", "client=sasl"])
        #expect(try await bench.finish() == 0)
    }
}
