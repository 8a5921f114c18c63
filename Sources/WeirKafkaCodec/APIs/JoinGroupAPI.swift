public import NIOCore

/// JoinGroup (key 11): a consumer joins (or rejoins) a group, listing the assignment
/// protocols it supports with its subscription in each (`ConsumerProtocolSubscription` bytes
/// for protocol type "consumer"). The coordinator holds the request until the group has
/// formed, then answers every member with the chosen protocol and generation; the leader
/// also gets every member's metadata, to compute the assignment it sends in SyncGroup.
///
/// Served v0–5. From v4 a member joining with an empty member id and no instance id is
/// answered MEMBER_ID_REQUIRED with its new id and joins again; v5 adds static membership
/// (`groupInstanceID`). v6 is the first flexible version; v7's `ProtocolType` in the response,
/// v8's `Reason` and v9's `SkipAssignment` are not modelled.
public enum JoinGroupAPI: KafkaAPI {
    public static let key = APIKey.joinGroup
    public static let versions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16 = 6

    public struct Request: KafkaMessage, Equatable {
        public struct JoinGroupRequestProtocol: Sendable, Equatable {
            /// The assignor's name ("range", "roundrobin", "cooperative-sticky", …).
            public var name: String
            public var metadata: ByteBuffer

            public init(name: String, metadata: ByteBuffer) {
                self.name = name
                self.metadata = metadata
            }
        }

        public var groupID: String
        public var sessionTimeoutMs: Int32
        /// v1+; -1 when absent (v0), when the session timeout applies instead.
        public var rebalanceTimeoutMs: Int32
        /// "" on the first join.
        public var memberID: String
        /// v5+: the static member's `group.instance.id`, or nil.
        public var groupInstanceID: String?
        /// "consumer" for Kafka consumers.
        public var protocolType: String
        public var protocols: [JoinGroupRequestProtocol]

        public init(
            groupID: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32 = -1, memberID: String = "",
            groupInstanceID: String? = nil, protocolType: String = "consumer", protocols: [JoinGroupRequestProtocol]
        ) {
            self.groupID = groupID
            self.sessionTimeoutMs = sessionTimeoutMs
            self.rebalanceTimeoutMs = rebalanceTimeoutMs
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.protocolType = protocolType
            self.protocols = protocols
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            groupID = try reader.string()
            sessionTimeoutMs = try reader.int32()
            rebalanceTimeoutMs = version >= 1 ? try reader.int32() : -1
            memberID = try reader.string()
            groupInstanceID = version >= 5 ? try reader.nullableString() : nil
            protocolType = try reader.string()
            protocols = try reader.array { reader in
                let item = JoinGroupRequestProtocol(name: try reader.string(), metadata: try reader.bytes())
                try reader.taggedFields()
                return item
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.string(groupID)
            writer.int32(sessionTimeoutMs)
            if version >= 1 { writer.int32(rebalanceTimeoutMs) }
            writer.string(memberID)
            if version >= 5 { writer.nullableString(groupInstanceID) }
            writer.string(protocolType)
            writer.array(protocols) { writer, item in
                writer.string(item.name)
                writer.bytes(item.metadata)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct JoinGroupResponseMember: Sendable, Equatable {
            public var memberID: String
            /// v5+.
            public var groupInstanceID: String?
            /// The member's metadata for the chosen protocol, as it sent it.
            public var metadata: ByteBuffer

            public init(memberID: String, groupInstanceID: String? = nil, metadata: ByteBuffer) {
                self.memberID = memberID
                self.groupInstanceID = groupInstanceID
                self.metadata = metadata
            }
        }

        /// v2+.
        public var throttleTimeMs: Int32
        public var errorCode: KafkaErrorCode
        public var generationID: Int32
        /// The chosen protocol. Kafka makes it nullable from v7 (not served): nil is written as ""
        /// here (librdkafka 2.0.2 fails the join on a null name anyway).
        public var protocolName: String?
        /// The leader's member id.
        public var leader: String
        /// This member's id (the new one with MEMBER_ID_REQUIRED).
        public var memberID: String
        /// Every member and its metadata for the leader; empty for the others.
        public var members: [JoinGroupResponseMember]

        public init(
            throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, generationID: Int32 = -1, protocolName: String?,
            leader: String, memberID: String, members: [JoinGroupResponseMember] = []
        ) {
            self.throttleTimeMs = throttleTimeMs
            self.errorCode = errorCode
            self.generationID = generationID
            self.protocolName = protocolName
            self.leader = leader
            self.memberID = memberID
            self.members = members
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 2 ? try reader.int32() : 0
            errorCode = try KafkaErrorCode(reading: &reader)
            generationID = try reader.int32()
            protocolName = try reader.string()
            leader = try reader.string()
            memberID = try reader.string()
            members = try reader.array { reader in
                let memberID = try reader.string()
                let instanceID = version >= 5 ? try reader.nullableString() : nil
                let member = JoinGroupResponseMember(memberID: memberID, groupInstanceID: instanceID, metadata: try reader.bytes())
                try reader.taggedFields()
                return member
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 2 { writer.int32(throttleTimeMs) }
            writer.int16(errorCode.rawValue)
            writer.int32(generationID)
            writer.string(protocolName ?? "")
            writer.string(leader)
            writer.string(memberID)
            writer.array(members) { writer, member in
                writer.string(member.memberID)
                if version >= 5 { writer.nullableString(member.groupInstanceID) }
                writer.bytes(member.metadata)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
