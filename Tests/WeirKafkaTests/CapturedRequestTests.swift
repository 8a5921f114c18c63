import Foundation
import NIOCore
import Testing
import WeirKafka
import WeirTestSupport

/// Requests captured from real clients (Fixtures/README.md says how): each decodes with
/// the codec of its API and version, and encodes back to exactly the bytes the client sent.
@Suite struct CapturedRequestTests {
    static let fixtures = Paths.packageRoot + "/Tests/WeirKafkaTests/Fixtures"

    static var captured: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures)) ?? []).filter { $0.hasSuffix("-request.bin") }.sorted()
    }

    @Test func everyClientIsRepresented() {
        let clients = Set(Self.captured.map { $0.split(separator: "-").prefix(while: { !$0.first!.isUppercase }).joined(separator: "-") })
        #expect(clients.isSuperset(of: ["kcat", "confluent-kafka", "kafka-python", "aiokafka"]))
    }

    @Test(arguments: captured)
    func decodesAndEncodesBackByteForByte(_ name: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + name))
        let frame = ByteBuffer(bytes: bytes)
        let decoded = try KafkaRequestDecoder.decode(frame)
        // The name says which API and version the client sent: <client>-<Api>-v<N>-request.bin.
        let parts = name.split(separator: "-")
        let version = parts.first { $0.hasPrefix("v") && Int16($0.dropFirst()) != nil }.map { Int16($0.dropFirst())! }
        #expect(decoded.header.apiVersion == version)
        #expect(name.contains("-\(APIKey(rawValue: decoded.header.apiKey)!)-"))
        // The body is the frame after the header; the codec writes back the same bytes.
        let body = frame.getSlice(at: frame.readableBytes - decoded.reencoded.readableBytes, length: decoded.reencoded.readableBytes)
        #expect(body == decoded.reencoded)
    }

    @Test func librdkafkaAsksApiVersionsV3WithItsName() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/kcat-ApiVersions-v3-request.bin"))
        let decoded = try KafkaRequestDecoder.decode(ByteBuffer(bytes: bytes))
        let request = try #require(decoded.request as? ApiVersionsAPI.Request)
        #expect(request.clientSoftwareName == "librdkafka")
        #expect(request.clientSoftwareVersion == "2.0.2")
        #expect(decoded.header.clientID == "rdkafka")
    }

    @Test func aiokafkaAsksApiVersionsV0() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/aiokafka-ApiVersions-v0-request.bin"))
        let decoded = try KafkaRequestDecoder.decode(ByteBuffer(bytes: bytes))
        #expect(decoded.header.apiVersion == 0)
        #expect(decoded.reencoded.readableBytes == 0)
    }
}
