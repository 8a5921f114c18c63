public import NIOCore

/// DescribeGroups (key 15): the state, protocol and members of groups, for admin tools
/// (`kafka-consumer-groups --describe`, kafka-python's admin client).
///
/// Served v0–4: v1 adds the throttle time, v3 authorized operations, v4 the members'
/// static `groupInstanceID`. v5 is the first flexible version, otherwise the same as v4.
public enum DescribeGroupsAPI: KafkaAPI {
    public static let key = APIKey.describeGroups
    public static let versions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16 = 5

    /// `authorizedOperations` when they were not asked for (Kafka's default, Int32.min).
    public static let authorizedOperationsOmitted: Int32 = .min

    public struct Request: KafkaMessage, Equatable {
        public var groups: [String]
        /// v3+.
        public var includeAuthorizedOperations: Bool

        public init(groups: [String], includeAuthorizedOperations: Bool = false) {
            self.groups = groups
            self.includeAuthorizedOperations = includeAuthorizedOperations
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            groups = try reader.array { try $0.string() }
            includeAuthorizedOperations = version >= 3 ? try reader.bool() : false
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.array(groups) { $0.string($1) }
            if version >= 3 { writer.bool(includeAuthorizedOperations) }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct DescribedGroup: Sendable, Equatable {
            public var errorCode: KafkaErrorCode
            public var groupID: String
            /// "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead", or "".
            public var groupState: String
            public var protocolType: String
            /// The chosen protocol (assignor) while Stable, otherwise "".
            public var protocolData: String
            public var members: [DescribedGroupMember]
            /// v3+: a bit field of the operations the caller may do on the group.
            public var authorizedOperations: Int32

            public init(
                errorCode: KafkaErrorCode = .none, groupID: String, groupState: String, protocolType: String, protocolData: String,
                members: [DescribedGroupMember], authorizedOperations: Int32 = DescribeGroupsAPI.authorizedOperationsOmitted
            ) {
                self.errorCode = errorCode
                self.groupID = groupID
                self.groupState = groupState
                self.protocolType = protocolType
                self.protocolData = protocolData
                self.members = members
                self.authorizedOperations = authorizedOperations
            }
        }

        public struct DescribedGroupMember: Sendable, Equatable {
            public var memberID: String
            /// v4+.
            public var groupInstanceID: String?
            public var clientID: String
            public var clientHost: String
            /// The member's metadata for the chosen protocol (while Stable).
            public var memberMetadata: ByteBuffer
            /// The member's assignment from the leader (while Stable).
            public var memberAssignment: ByteBuffer

            public init(
                memberID: String, groupInstanceID: String? = nil, clientID: String, clientHost: String,
                memberMetadata: ByteBuffer = ByteBuffer(), memberAssignment: ByteBuffer = ByteBuffer()
            ) {
                self.memberID = memberID
                self.groupInstanceID = groupInstanceID
                self.clientID = clientID
                self.clientHost = clientHost
                self.memberMetadata = memberMetadata
                self.memberAssignment = memberAssignment
            }
        }

        /// v1+.
        public var throttleTimeMs: Int32
        public var groups: [DescribedGroup]

        public init(throttleTimeMs: Int32 = 0, groups: [DescribedGroup]) {
            self.throttleTimeMs = throttleTimeMs
            self.groups = groups
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 1 ? try reader.int32() : 0
            groups = try reader.array { reader in
                let errorCode = try KafkaErrorCode(reading: &reader)
                let groupID = try reader.string()
                let groupState = try reader.string()
                let protocolType = try reader.string()
                let protocolData = try reader.string()
                let members = try reader.array { reader in
                    let memberID = try reader.string()
                    let groupInstanceID = version >= 4 ? try reader.nullableString() : nil
                    let member = DescribedGroupMember(
                        memberID: memberID, groupInstanceID: groupInstanceID, clientID: try reader.string(),
                        clientHost: try reader.string(), memberMetadata: try reader.bytes(), memberAssignment: try reader.bytes())
                    try reader.taggedFields()
                    return member
                }
                let authorizedOperations = version >= 3 ? try reader.int32() : DescribeGroupsAPI.authorizedOperationsOmitted
                try reader.taggedFields()
                return DescribedGroup(
                    errorCode: errorCode, groupID: groupID, groupState: groupState, protocolType: protocolType,
                    protocolData: protocolData, members: members, authorizedOperations: authorizedOperations)
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 1 { writer.int32(throttleTimeMs) }
            writer.array(groups) { writer, group in
                writer.int16(group.errorCode.rawValue)
                writer.string(group.groupID)
                writer.string(group.groupState)
                writer.string(group.protocolType)
                writer.string(group.protocolData)
                writer.array(group.members) { writer, member in
                    writer.string(member.memberID)
                    if version >= 4 { writer.nullableString(member.groupInstanceID) }
                    writer.string(member.clientID)
                    writer.string(member.clientHost)
                    writer.bytes(member.memberMetadata)
                    writer.bytes(member.memberAssignment)
                    writer.taggedFields()
                }
                if version >= 3 { writer.int32(group.authorizedOperations) }
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
