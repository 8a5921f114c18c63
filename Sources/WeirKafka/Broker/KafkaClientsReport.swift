public import WeirLog

/// What `GET /api/kafka` and `weir top` show of a Kafka listener: its open connections,
/// and every group with Kafka clients among its members, with those members, the
/// partitions each was given and how far the group's committed offsets are behind them.
public struct KafkaClientsReport: Sendable, Codable, Equatable {
    public var clients: [KafkaClients.Connection]
    public var groups: [Group]

    public init(clients: [KafkaClients.Connection], groups: [Group]) {
        self.clients = clients
        self.groups = groups
    }

    public struct Group: Sendable, Codable, Equatable {
        public var group: String
        /// Kafka's names: Stable, PreparingRebalance, CompletingRebalance.
        public var state: String
        /// Records past the committed offsets of the members' partitions (nil: none has one).
        public var lag: Int64?
        /// Its Kafka clients (members inside this weir, pipelines' sinks, are not listed).
        public var members: [Member]

        public init(group: String, state: String, lag: Int64?, members: [Member]) {
            self.group = group
            self.state = state
            self.lag = lag
            self.members = members
        }
    }

    public struct Member: Sendable, Codable, Equatable {
        public var memberID: String
        public var clientID: String
        /// The client's address, without the port.
        public var host: String
        public var partitions: [TopicPartition]
        /// As the group's, over this member's partitions.
        public var lag: Int64?

        public init(memberID: String, clientID: String, host: String, partitions: [TopicPartition], lag: Int64?) {
            self.memberID = memberID
            self.clientID = clientID
            self.host = host
            self.partitions = partitions
            self.lag = lag
        }

        // Spelled out: `memberID` would not survive snake_case and back.
        enum CodingKeys: String, CodingKey {
            case host, partitions, lag
            case memberID = "member_id"
            case clientID = "client_id"
        }
    }
}

extension KafkaBroker {
    /// The listener's connections and its groups' Kafka clients. The groups are read on
    /// the broker's blocking threads: a partition's end takes its lock, which an append
    /// waiting for disk space holds.
    public func clientsReport() async -> KafkaClientsReport {
        let groups = (try? await onBlockingThread { [self] in groupsWithClients() }) ?? []
        return KafkaClientsReport(clients: clients.snapshot(), groups: groups)
    }

    /// Every group with a Kafka client among its members (those inside this process show
    /// as host "in-process" in DescribeGroups, and are left out).
    func groupsWithClients() -> [KafkaClientsReport.Group] {
        log.groups.groupNames.compactMap { name in
            guard let group = log.groups.describeRemote(group: name) else { return nil }
            let members = group.members.filter { $0.clientHost != "in-process" }.map { member in
                let partitions: [TopicPartition]
                switch member.assignment {
                case .assigned(let assigned): partitions = assigned.sorted()
                case .relayed(let bytes): partitions = (Self.decodeAssignment(bytes) ?? []).sorted()
                }
                return KafkaClientsReport.Member(
                    memberID: member.memberID, clientID: member.clientID, host: member.clientHost, partitions: partitions,
                    lag: lag(of: name, over: partitions))
            }
            guard !members.isEmpty else { return nil }
            let lags = members.compactMap(\.lag)
            return KafkaClientsReport.Group(
                group: name, state: group.state, lag: lags.isEmpty ? nil : lags.reduce(0, +), members: members)
        }
    }

    /// Records of `partitions` past the group's committed offsets; partitions without a
    /// (readable) committed offset are not counted, nil when none has one.
    private func lag(of group: String, over partitions: [TopicPartition]) -> Int64? {
        var total: Int64?
        for key in partitions {
            guard let topic = try? log.topic(key.topic), topic.partitions.indices.contains(key.partition) else { continue }
            let partition = topic.partitions[key.partition]
            // A partition that cannot be opened has no lag to count (reading it says why).
            guard let committed = try? log.committedPosition(group: group, partition: partition), let end = try? partition.endOffset
            else { continue }
            total = (total ?? 0) + max(0, end - committed)
        }
        return total
    }
}
