public import NIOCore

/// Decodes any request frame of an API the codec knows, whatever the broker serves: for
/// tools (the fuzz target, captured-bytes tests) that take frames as they come.
public enum KafkaRequestDecoder {
    /// A decoded request and its body encoded again.
    public struct Decoded {
        public var header: RequestHeader
        public var request: any KafkaMessage
        /// The body as the codec writes it back (the same bytes, for a canonical frame).
        public var reencoded: ByteBuffer
    }

    /// Reads the header and the body of a frame (without its size prefix).
    public static func decode(_ frame: ByteBuffer) throws -> Decoded {
        var body = frame
        let header = try RequestHeader.read(from: &body) { key, version in
            guard let key = APIKey(rawValue: key) else { return false }
            return api(key).isFlexible(version)
        }
        guard let key = APIKey(rawValue: header.apiKey) else { throw KafkaCodecError.unknownAPI(header.apiKey) }
        let (request, reencoded) = try roundTrip(api(key), body, version: header.apiVersion)
        return Decoded(header: header, request: request, reencoded: reencoded)
    }

    private static func roundTrip<API: KafkaAPI>(_: API.Type, _ body: ByteBuffer, version: Int16) throws -> (any KafkaMessage, ByteBuffer) {
        let request = try API.decodeRequest(body, version: version)
        return (request, API.encode(request, version: version))
    }

    /// The codec of each API key.
    public static func api(_ key: APIKey) -> any KafkaAPI.Type {
        switch key {
        case .produce: ProduceAPI.self
        case .fetch: FetchAPI.self
        case .listOffsets: ListOffsetsAPI.self
        case .metadata: MetadataAPI.self
        case .offsetCommit: OffsetCommitAPI.self
        case .offsetFetch: OffsetFetchAPI.self
        case .findCoordinator: FindCoordinatorAPI.self
        case .joinGroup: JoinGroupAPI.self
        case .heartbeat: HeartbeatAPI.self
        case .leaveGroup: LeaveGroupAPI.self
        case .syncGroup: SyncGroupAPI.self
        case .describeGroups: DescribeGroupsAPI.self
        case .listGroups: ListGroupsAPI.self
        case .saslHandshake: SaslHandshakeAPI.self
        case .apiVersions: ApiVersionsAPI.self
        case .createTopics: CreateTopicsAPI.self
        case .deleteTopics: DeleteTopicsAPI.self
        case .initProducerID: InitProducerIdAPI.self
        case .describeConfigs: DescribeConfigsAPI.self
        case .saslAuthenticate: SaslAuthenticateAPI.self
        case .deleteGroups: DeleteGroupsAPI.self
        }
    }
}
