import Foundation
import Logging
import NIOCore
import NIOPosix
public import WeirLog

/// Answers Kafka requests from the embedded log: decodes a frame's header and body,
/// runs the API's handler, and encodes the response with its header. One broker (node 0)
/// that leads every partition and coordinates every group.
public final class KafkaBroker: Sendable {
    public static let nodeID: Int32 = 0

    public let log: EmbeddedLog
    let advertisedHost: String
    let advertisedPort: Int
    let autoCreateTopics: Bool
    let clusterID: String
    let logger: Logger
    let metrics = KafkaMetrics()
    /// The live connections, for `weir top`.
    public let clients = KafkaClients()
    let producers = IdempotentProducers()
    /// Reads, appends and fsyncs block: they run here, not on event loops or Swift's pool.
    let blocking: NIOThreadPool
    /// SASL/PLAIN users; nil: no authentication.
    let users: KafkaUsers?
    /// What ApiVersions advertises: every API below, and the SASL ones when there are users.
    let served: [ServedAPI]
    let servedByKey: [Int16: ServedAPI]
    /// Whether fetched records go out from the segment files with `sendfile` (not through
    /// TLS, which must see the bytes) instead of being read into the response.
    let sendsFromFiles: Bool
    /// What an OffsetCommit without a member does (see `KafkaListenerOptions.resetOffsets`).
    let resetOffsets: ResetOffsets

    /// Moves a group's committed offsets while it has no members.
    public typealias ResetOffsets = @Sendable (_ group: String, _ offsets: [TopicPartition: Int64]) throws -> Void

    /// Every API the broker serves, with the versions ApiVersions advertises.
    static let alwaysServed: [ServedAPI] = [
        ServedAPI(ProduceAPI.self), ServedAPI(FetchAPI.self), ServedAPI(ListOffsetsAPI.self), ServedAPI(MetadataAPI.self),
        ServedAPI(OffsetCommitAPI.self), ServedAPI(OffsetFetchAPI.self), ServedAPI(FindCoordinatorAPI.self),
        ServedAPI(JoinGroupAPI.self), ServedAPI(HeartbeatAPI.self), ServedAPI(LeaveGroupAPI.self), ServedAPI(SyncGroupAPI.self),
        ServedAPI(DescribeGroupsAPI.self), ServedAPI(ListGroupsAPI.self), ServedAPI(ApiVersionsAPI.self),
        ServedAPI(CreateTopicsAPI.self), ServedAPI(DeleteTopicsAPI.self), ServedAPI(InitProducerIdAPI.self),
        ServedAPI(DescribeConfigsAPI.self), ServedAPI(DeleteGroupsAPI.self),
    ]

    /// librdkafka < 2.11.1 turns PLAIN off unless SaslHandshake v0 is in range; after a v0
    /// handshake the client sends its token bare (see `handle`).
    static let saslServed: [ServedAPI] = [ServedAPI(SaslHandshakeAPI.self), ServedAPI(SaslAuthenticateAPI.self)]

    init(
        log: EmbeddedLog, advertisedHost: String, advertisedPort: Int, autoCreateTopics: Bool, blockingThreads: Int, users: KafkaUsers?,
        sendsFromFiles: Bool = true, resetOffsets: ResetOffsets? = nil, logger: Logger
    ) throws {
        self.users = users
        self.sendsFromFiles = sendsFromFiles
        self.resetOffsets = resetOffsets ?? { [log] group, offsets in try log.groups.resetOffsets(group: group, offsets: offsets) }
        served = Self.alwaysServed + (users == nil ? [] : Self.saslServed)
        servedByKey = Dictionary(uniqueKeysWithValues: served.map { ($0.key.rawValue, $0) })
        self.log = log
        self.advertisedHost = advertisedHost
        self.advertisedPort = advertisedPort
        self.autoCreateTopics = autoCreateTopics
        self.logger = logger
        clusterID = try Self.clusterID(of: log)
        blocking = NIOThreadPool(numberOfThreads: max(1, blockingThreads))
        blocking.start()
    }

    /// The data directory's cluster id, made once and kept in `kafka-cluster-id`: clients
    /// refuse a broker whose cluster id changes between connections.
    static func clusterID(of log: EmbeddedLog) throws -> String {
        let path = log.directory + "/kafka-cluster-id"
        if FileSystem.exists(path) {
            let text = String(decoding: try FileSystem.readWholeFile(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { return text }
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let id = String((0..<22).map { _ in alphabet.randomElement()! })
        try FileSystem.writeAtomically(path, Array((id + "\n").utf8))
        return id
    }

    func shutdown() async {
        try? await blocking.shutdownGracefully()
    }

    /// Runs blocking log work on the broker's threads.
    func onBlockingThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await blocking.runIfActive(work)
    }

    // MARK: Frames

    /// Answers one request frame (size prefix removed) with a response frame (size prefix
    /// included), or nil when the client expects no answer (Produce with acks 0). Throws
    /// only for what closes the connection: an API or version that cannot be answered in
    /// a form the client would read, or a request that does not decode.
    func handle(_ frame: ByteBuffer, session: inout KafkaSession) async throws -> KafkaResponseFrame? {
        if session.bareSaslTokenNext {
            // After SaslHandshake v0 the next frame is the SASL/PLAIN token itself, answered
            // with an empty frame on success; a failure closes the connection.
            session.bareSaslTokenNext = false
            guard let users, let user = users.authenticatePlain(Array(frame.readableBytesView)) else {
                throw KafkaSessionError(description: "SASL/PLAIN authentication failed")
            }
            session.authenticated = true
            session.user = user
            var empty = ByteBuffer()
            empty.writeInteger(Int32(0))
            return KafkaResponseFrame(empty)
        }
        var body = frame
        let servedByKey = servedByKey
        let header = try RequestHeader.read(from: &body) { key, version in
            servedByKey[key].map { $0.isFlexible(version) } ?? false
        }
        session.clientID = header.clientID
        let started = monotonicNanos()
        guard let key = APIKey(rawValue: header.apiKey), let api = servedByKey[header.apiKey] else {
            metrics.unknownRequest()
            throw KafkaCodecError.unknownAPI(header.apiKey)
        }
        guard api.versions.contains(header.apiVersion) else {
            if key == .apiVersions { return unsupportedApiVersions(header) }
            metrics.unknownRequest()
            throw KafkaCodecError.unsupportedVersion(apiKey: header.apiKey, version: header.apiVersion)
        }
        if users != nil && !session.authenticated && ![.apiVersions, .saslHandshake, .saslAuthenticate].contains(key) {
            metrics.requestFailed(key)
            throw KafkaSessionError(description: "\(key) before authenticating (SASL is required)")
        }
        let response: KafkaResponseFrame?
        let failed: Bool
        do {
            (response, failed) = try await dispatch(key, header: header, body: body, session: &session)
        } catch {
            metrics.requestFailed(key)
            throw error
        }
        let requestBytes = frame.readableBytes + 4
        let responseBytes = response?.byteCount ?? 0
        metrics.answered(key, requestBytes: requestBytes, responseBytes: responseBytes, failed: failed, since: started)
        clients.served(session, api: key, requestBytes: requestBytes, responseBytes: responseBytes)
        return response
    }

    private func dispatch(_ key: APIKey, header: RequestHeader, body: ByteBuffer, session: inout KafkaSession) async throws -> (
        KafkaResponseFrame?, Bool
    ) {
        let version = header.apiVersion
        switch key {
        case .apiVersions:
            let request = try ApiVersionsAPI.decodeRequest(body, version: version)
            session.clientSoftware = request.clientSoftwareName.map { "\($0) \(request.clientSoftwareVersion ?? "")" }
            return (respond(ApiVersionsAPI.self, apiVersions(), to: header), false)
        case .metadata:
            let request = try MetadataAPI.decodeRequest(body, version: version)
            return (respond(MetadataAPI.self, try await metadata(request, version: version), to: header), false)
        case .produce:
            let request = try ProduceAPI.decodeRequest(body, version: version)
            let response = await produce(request, version: version)
            let failed = response.responses.contains { $0.partitionResponses.contains { $0.errorCode != .none } }
            return (request.acks == 0 ? nil : respond(ProduceAPI.self, response, to: header), failed)
        case .fetch:
            let request = try FetchAPI.decodeRequest(body, version: version)
            let response = await fetch(request)
            let size = response.responses.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + ($1.records?.readableBytes ?? 0) + 64 } }
            // Records left in segment files are cut out of the frame and sent from them.
            return (
                respond(FetchAPI.self, response, to: header, capacity: size + 256),
                response.responses.contains { $0.partitions.contains { $0.errorCode != .none } }
            )
        case .listOffsets:
            let request = try ListOffsetsAPI.decodeRequest(body, version: version)
            let response = await listOffsets(request)
            return (
                respond(ListOffsetsAPI.self, response, to: header),
                response.topics.contains { $0.partitions.contains { $0.errorCode != .none } }
            )
        case .offsetCommit:
            let response = await offsetCommit(try OffsetCommitAPI.decodeRequest(body, version: version))
            return (
                respond(OffsetCommitAPI.self, response, to: header),
                response.topics.contains { $0.partitions.contains { $0.errorCode != .none } }
            )
        case .offsetFetch:
            let response = offsetFetch(try OffsetFetchAPI.decodeRequest(body, version: version))
            return (respond(OffsetFetchAPI.self, response, to: header), response.errorCode != .none)
        case .findCoordinator:
            let response = findCoordinator(try FindCoordinatorAPI.decodeRequest(body, version: version))
            return (respond(FindCoordinatorAPI.self, response, to: header), response.errorCode != .none)
        case .joinGroup:
            let response = await joinGroup(try JoinGroupAPI.decodeRequest(body, version: version), version: version, session: session)
            return (respond(JoinGroupAPI.self, response, to: header), response.errorCode != .none)
        case .syncGroup:
            let response = await syncGroup(try SyncGroupAPI.decodeRequest(body, version: version))
            return (respond(SyncGroupAPI.self, response, to: header), response.errorCode != .none)
        case .heartbeat:
            let response = heartbeat(try HeartbeatAPI.decodeRequest(body, version: version))
            return (respond(HeartbeatAPI.self, response, to: header), response.errorCode != .none)
        case .leaveGroup:
            let response = leaveGroup(try LeaveGroupAPI.decodeRequest(body, version: version))
            return (respond(LeaveGroupAPI.self, response, to: header), response.errorCode != .none)
        case .describeGroups:
            let response = describeGroups(try DescribeGroupsAPI.decodeRequest(body, version: version))
            return (respond(DescribeGroupsAPI.self, response, to: header), false)
        case .listGroups:
            _ = try ListGroupsAPI.decodeRequest(body, version: version)
            return (respond(ListGroupsAPI.self, listGroups(), to: header), false)
        case .deleteGroups:
            let response = await deleteGroups(try DeleteGroupsAPI.decodeRequest(body, version: version))
            return (respond(DeleteGroupsAPI.self, response, to: header), response.results.contains { $0.errorCode != .none })
        case .createTopics:
            let response = await createTopics(try CreateTopicsAPI.decodeRequest(body, version: version))
            return (respond(CreateTopicsAPI.self, response, to: header), response.topics.contains { $0.errorCode != .none })
        case .deleteTopics:
            let response = await deleteTopics(try DeleteTopicsAPI.decodeRequest(body, version: version))
            return (respond(DeleteTopicsAPI.self, response, to: header), response.responses.contains { $0.errorCode != .none })
        case .describeConfigs:
            let response = describeConfigs(try DescribeConfigsAPI.decodeRequest(body, version: version), version: version)
            return (respond(DescribeConfigsAPI.self, response, to: header), response.results.contains { $0.errorCode != .none })
        case .initProducerID:
            let response = initProducerID(try InitProducerIdAPI.decodeRequest(body, version: version))
            return (respond(InitProducerIdAPI.self, response, to: header), response.errorCode != .none)
        case .saslHandshake:
            let response = saslHandshake(try SaslHandshakeAPI.decodeRequest(body, version: version), version: version, session: &session)
            return (respond(SaslHandshakeAPI.self, response, to: header), response.errorCode != .none)
        case .saslAuthenticate:
            let response = saslAuthenticate(try SaslAuthenticateAPI.decodeRequest(body, version: version), session: &session)
            return (respond(SaslAuthenticateAPI.self, response, to: header), response.errorCode != .none)
        }
    }

    /// A producer id for an idempotent producer, epoch 0. Transactions are not implemented.
    func initProducerID(_ request: InitProducerIdAPI.Request) -> InitProducerIdAPI.Response {
        guard request.transactionalID == nil else {
            return InitProducerIdAPI.Response(errorCode: .invalidRequest, producerID: -1, producerEpoch: -1)
        }
        return InitProducerIdAPI.Response(producerID: producers.newProducerID(), producerEpoch: 0)
    }

    /// A response frame: size, header (v1 with tags for flexible versions, except
    /// ApiVersions which always has v0), body.
    func respond<API: KafkaAPI>(_ api: API.Type, _ response: API.Response, to header: RequestHeader, capacity: Int = 256)
        -> KafkaResponseFrame
    {
        // Sized up front for what the body holds (a fetch's records), so it is not regrown.
        var frame = ByteBuffer()
        frame.reserveCapacity(capacity)
        frame.writeInteger(Int32(0))
        frame.writeInteger(header.correlationID)
        let flexible = API.isFlexible(header.apiVersion)
        if flexible && API.key != .apiVersions { frame.writeInteger(UInt8(0)) }
        var writer = KafkaWriter(frame, flexible: flexible)
        response.write(to: &writer, version: header.apiVersion)
        let size = writer.buffer.readableBytes + writer.spans.reduce(0) { $0 + $1.span.length }
        writer.buffer.setInteger(Int32(size - 4), at: writer.buffer.readerIndex)
        return KafkaResponseFrame(writer)
    }

    // MARK: ApiVersions

    func apiVersions(error: KafkaErrorCode = .none) -> ApiVersionsAPI.Response {
        ApiVersionsAPI.Response(
            errorCode: error,
            apiKeys: served.map {
                .init(apiKey: $0.key.rawValue, minVersion: $0.versions.lowerBound, maxVersion: $0.versions.upperBound)
            }
            .sorted { $0.apiKey < $1.apiKey })
    }

    /// A newer ApiVersions than served is answered as Kafka does: UNSUPPORTED_VERSION in
    /// the v0 body, with the served ranges, so the client retries with a version it finds
    /// there. Never a closed connection: librdkafka would retry the same version forever.
    private func unsupportedApiVersions(_ header: RequestHeader) -> KafkaResponseFrame {
        metrics.answered(.apiVersions, requestBytes: 0, responseBytes: 0, failed: true, since: monotonicNanos())
        var v0 = header
        v0.apiVersion = 0
        return respond(ApiVersionsAPI.self, apiVersions(error: .unsupportedVersion), to: v0)
    }
}

/// An API's key and versions, as ApiVersions advertises them.
struct ServedAPI: Sendable {
    let key: APIKey
    let versions: ClosedRange<Int16>
    let firstFlexibleVersion: Int16

    init<API: KafkaAPI>(_: API.Type, versions: ClosedRange<Int16>? = nil) {
        key = API.key
        self.versions = versions ?? API.versions
        firstFlexibleVersion = API.firstFlexibleVersion
    }

    func isFlexible(_ version: Int16) -> Bool { version >= firstFlexibleVersion }
}

/// A request a connection may not make in its state (before authenticating): the
/// connection is closed, as Kafka does.
struct KafkaSessionError: Error, CustomStringConvertible {
    var description: String
}
