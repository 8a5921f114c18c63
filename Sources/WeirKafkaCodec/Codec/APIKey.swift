/// The Kafka APIs Weir's listener knows, by their key in the request header.
public enum APIKey: Int16, CaseIterable, Sendable, CustomStringConvertible {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case saslHandshake = 17
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case initProducerID = 22
    case describeConfigs = 32
    case saslAuthenticate = 36
    case deleteGroups = 42

    /// Kafka's name for it, as in metrics and logs (`Produce`, `ApiVersions`, …).
    public var description: String {
        switch self {
        case .produce: "Produce"
        case .fetch: "Fetch"
        case .listOffsets: "ListOffsets"
        case .metadata: "Metadata"
        case .offsetCommit: "OffsetCommit"
        case .offsetFetch: "OffsetFetch"
        case .findCoordinator: "FindCoordinator"
        case .joinGroup: "JoinGroup"
        case .heartbeat: "Heartbeat"
        case .leaveGroup: "LeaveGroup"
        case .syncGroup: "SyncGroup"
        case .describeGroups: "DescribeGroups"
        case .listGroups: "ListGroups"
        case .saslHandshake: "SaslHandshake"
        case .apiVersions: "ApiVersions"
        case .createTopics: "CreateTopics"
        case .deleteTopics: "DeleteTopics"
        case .initProducerID: "InitProducerId"
        case .describeConfigs: "DescribeConfigs"
        case .saslAuthenticate: "SaslAuthenticate"
        case .deleteGroups: "DeleteGroups"
        }
    }
}
