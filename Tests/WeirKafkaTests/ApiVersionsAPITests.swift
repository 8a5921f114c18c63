import NIOCore
import Testing
import WeirKafka

@Suite struct ApiVersionsAPITests {
    @Test(arguments: ApiVersionsAPI.versions)
    func responseRoundTrips(version: Int16) throws {
        let response = ApiVersionsAPI.Response(apiKeys: [.init(apiKey: 0, minVersion: 3, maxVersion: 8)])
        let bytes = ApiVersionsAPI.encode(response, version: version)
        #expect(try ApiVersionsAPI.decodeResponse(bytes, version: version) == response)
    }
}
