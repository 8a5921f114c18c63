import NIOCore
import Testing
import WeirKafka

@Suite struct InitProducerIdAPITests {
    @Test("a request decodes to what was encoded, with and without a transactional id", arguments: InitProducerIdAPI.versions)
    func requestRoundTrips(version: Int16) throws {
        for request in [
            InitProducerIdAPI.Request(transactionalID: "tx-1", transactionTimeoutMs: 60000),
            InitProducerIdAPI.Request(transactionalID: nil, transactionTimeoutMs: 2500),
        ] {
            let bytes = InitProducerIdAPI.encode(request, version: version)
            #expect(try InitProducerIdAPI.decodeRequest(bytes, version: version) == request)
        }
    }

    @Test("a response decodes to what was encoded", arguments: InitProducerIdAPI.versions)
    func responseRoundTrips(version: Int16) throws {
        let response = InitProducerIdAPI.Response(
            throttleTimeMs: 3, errorCode: .invalidTransactionTimeout, producerID: 0x1_0000_0001, producerEpoch: 4)
        let bytes = InitProducerIdAPI.encode(response, version: version)
        #expect(try InitProducerIdAPI.decodeResponse(bytes, version: version) == response)
    }

    @Test("a request and a response are laid out as Kafka's definitions say", arguments: InitProducerIdAPI.versions)
    func bytes(version: Int16) throws {
        let request = InitProducerIdAPI.Request(transactionalID: nil, transactionTimeoutMs: 60000)
        let requestBytes: [UInt8] = [0xff, 0xff, 0, 0, 0xea, 0x60]  // null transactionalID, 60000
        #expect(Array(InitProducerIdAPI.encode(request, version: version).readableBytesView) == requestBytes)
        #expect(try InitProducerIdAPI.decodeRequest(ByteBuffer(bytes: requestBytes), version: version) == request)

        let response = InitProducerIdAPI.Response(producerID: 4096, producerEpoch: 1)
        let responseBytes: [UInt8] = [
            0, 0, 0, 0,  // throttleTimeMs
            0, 0,  // no error
            0, 0, 0, 0, 0, 0, 0x10, 0,  // producerID 4096
            0, 1,  // producerEpoch
        ]
        #expect(Array(InitProducerIdAPI.encode(response, version: version).readableBytesView) == responseBytes)
        #expect(try InitProducerIdAPI.decodeResponse(ByteBuffer(bytes: responseBytes), version: version) == response)
    }
}
