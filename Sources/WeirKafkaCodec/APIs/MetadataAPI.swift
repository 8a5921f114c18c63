/// Metadata (key 3): the brokers (Weir is one, node 0, also the controller) and the
/// topics with their partitions, all led by node 0. Served v0–v8, the classic versions.
public enum MetadataAPI: KafkaAPI {
    public static let key = APIKey.metadata
    public static let versions: ClosedRange<Int16> = 0...8
    public static let firstFlexibleVersion: Int16 = 9

    public struct Request: KafkaMessage, Equatable {
        /// nil (v1+) asks for every topic; so does an empty list in v0 only.
        public var topics: [String]?
        public var allowAutoTopicCreation: Bool
        public var includeClusterAuthorizedOperations: Bool
        public var includeTopicAuthorizedOperations: Bool

        public init(
            topics: [String]?,
            allowAutoTopicCreation: Bool = true,
            includeClusterAuthorizedOperations: Bool = false,
            includeTopicAuthorizedOperations: Bool = false
        ) {
            self.topics = topics
            self.allowAutoTopicCreation = allowAutoTopicCreation
            self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
            self.includeTopicAuthorizedOperations = includeTopicAuthorizedOperations
        }

        /// Whether the request asks for every topic.
        public func wantsAllTopics(version: Int16) -> Bool {
            guard let topics else { return true }
            return version == 0 && topics.isEmpty
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            topics = try reader.nullableArray { reader in
                let name = try reader.string()
                try reader.taggedFields()
                return name
            }
            if version == 0 && topics == nil { throw KafkaCodecError.malformed("Metadata v0 topics cannot be null") }
            allowAutoTopicCreation = version >= 4 ? try reader.bool() : true
            includeClusterAuthorizedOperations = version >= 8 ? try reader.bool() : false
            includeTopicAuthorizedOperations = version >= 8 ? try reader.bool() : false
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.nullableArray(version == 0 ? (topics ?? []) : topics) { writer, name in
                writer.string(name)
                writer.taggedFields()
            }
            if version >= 4 { writer.bool(allowAutoTopicCreation) }
            if version >= 8 {
                writer.bool(includeClusterAuthorizedOperations)
                writer.bool(includeTopicAuthorizedOperations)
            }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct MetadataResponseBroker: Sendable, Equatable {
            public var nodeID: Int32
            public var host: String
            public var port: Int32
            public var rack: String?

            public init(nodeID: Int32, host: String, port: Int32, rack: String? = nil) {
                self.nodeID = nodeID
                self.host = host
                self.port = port
                self.rack = rack
            }
        }

        public struct MetadataResponsePartition: Sendable, Equatable {
            public var errorCode: KafkaErrorCode
            public var partitionIndex: Int32
            public var leaderID: Int32
            /// -1: clients then never ask OffsetForLeaderEpoch.
            public var leaderEpoch: Int32
            public var replicaNodes: [Int32]
            public var isrNodes: [Int32]
            public var offlineReplicas: [Int32]

            public init(
                errorCode: KafkaErrorCode = .none,
                partitionIndex: Int32,
                leaderID: Int32,
                leaderEpoch: Int32 = -1,
                replicaNodes: [Int32],
                isrNodes: [Int32],
                offlineReplicas: [Int32] = []
            ) {
                self.errorCode = errorCode
                self.partitionIndex = partitionIndex
                self.leaderID = leaderID
                self.leaderEpoch = leaderEpoch
                self.replicaNodes = replicaNodes
                self.isrNodes = isrNodes
                self.offlineReplicas = offlineReplicas
            }
        }

        public struct MetadataResponseTopic: Sendable, Equatable {
            public var errorCode: KafkaErrorCode
            public var name: String
            public var isInternal: Bool
            public var partitions: [MetadataResponsePartition]
            public var topicAuthorizedOperations: Int32

            public init(
                errorCode: KafkaErrorCode = .none,
                name: String,
                isInternal: Bool = false,
                partitions: [MetadataResponsePartition],
                topicAuthorizedOperations: Int32 = .min
            ) {
                self.errorCode = errorCode
                self.name = name
                self.isInternal = isInternal
                self.partitions = partitions
                self.topicAuthorizedOperations = topicAuthorizedOperations
            }
        }

        public var throttleTimeMs: Int32
        public var brokers: [MetadataResponseBroker]
        public var clusterID: String?
        /// Never -1: Java's admin client and kafka-python's loop forever without a controller.
        public var controllerID: Int32
        public var topics: [MetadataResponseTopic]
        public var clusterAuthorizedOperations: Int32

        public init(
            throttleTimeMs: Int32 = 0,
            brokers: [MetadataResponseBroker],
            clusterID: String? = nil,
            controllerID: Int32 = -1,
            topics: [MetadataResponseTopic],
            clusterAuthorizedOperations: Int32 = .min
        ) {
            self.throttleTimeMs = throttleTimeMs
            self.brokers = brokers
            self.clusterID = clusterID
            self.controllerID = controllerID
            self.topics = topics
            self.clusterAuthorizedOperations = clusterAuthorizedOperations
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 3 ? try reader.int32() : 0
            brokers = try reader.array { reader in
                var broker = MetadataResponseBroker(nodeID: try reader.int32(), host: try reader.string(), port: try reader.int32())
                if version >= 1 { broker.rack = try reader.nullableString() }
                try reader.taggedFields()
                return broker
            }
            clusterID = version >= 2 ? try reader.nullableString() : nil
            controllerID = version >= 1 ? try reader.int32() : -1
            topics = try reader.array { reader in
                let error = try KafkaErrorCode(reading: &reader)
                let name = try reader.string()
                let isInternal = version >= 1 ? try reader.bool() : false
                let partitions = try reader.array { reader in
                    var partition = MetadataResponsePartition(
                        errorCode: try KafkaErrorCode(reading: &reader), partitionIndex: try reader.int32(), leaderID: try reader.int32(),
                        replicaNodes: [], isrNodes: [])
                    if version >= 7 { partition.leaderEpoch = try reader.int32() }
                    partition.replicaNodes = try reader.array { try $0.int32() }
                    partition.isrNodes = try reader.array { try $0.int32() }
                    if version >= 5 { partition.offlineReplicas = try reader.array { try $0.int32() } }
                    try reader.taggedFields()
                    return partition
                }
                let operations = version >= 8 ? try reader.int32() : .min
                try reader.taggedFields()
                return MetadataResponseTopic(
                    errorCode: error, name: name, isInternal: isInternal, partitions: partitions, topicAuthorizedOperations: operations)
            }
            clusterAuthorizedOperations = version >= 8 ? try reader.int32() : .min
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 3 { writer.int32(throttleTimeMs) }
            writer.array(brokers) { writer, broker in
                writer.int32(broker.nodeID)
                writer.string(broker.host)
                writer.int32(broker.port)
                if version >= 1 { writer.nullableString(broker.rack) }
                writer.taggedFields()
            }
            if version >= 2 { writer.nullableString(clusterID) }
            if version >= 1 { writer.int32(controllerID) }
            writer.array(topics) { writer, topic in
                writer.int16(topic.errorCode.rawValue)
                writer.string(topic.name)
                if version >= 1 { writer.bool(topic.isInternal) }
                writer.array(topic.partitions) { writer, partition in
                    writer.int16(partition.errorCode.rawValue)
                    writer.int32(partition.partitionIndex)
                    writer.int32(partition.leaderID)
                    if version >= 7 { writer.int32(partition.leaderEpoch) }
                    writer.array(partition.replicaNodes) { $0.int32($1) }
                    writer.array(partition.isrNodes) { $0.int32($1) }
                    if version >= 5 { writer.array(partition.offlineReplicas) { $0.int32($1) } }
                    writer.taggedFields()
                }
                if version >= 8 { writer.int32(topic.topicAuthorizedOperations) }
                writer.taggedFields()
            }
            if version >= 8 { writer.int32(clusterAuthorizedOperations) }
            writer.taggedFields()
        }
    }
}
