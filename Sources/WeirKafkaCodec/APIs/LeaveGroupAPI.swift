/// LeaveGroup (key 13): a member leaves its group on close, so the group rebalances at once
/// instead of after the session timeout.
///
/// Served v0–3. v0–2 name one member (`memberID`); v3 replaces it with a batch of members,
/// each with its static `groupInstanceID`, and the response answers each one. v4 is the
/// first flexible version; v5's per-member `Reason` is not modelled.
public enum LeaveGroupAPI: KafkaAPI {
    public static let key = APIKey.leaveGroup
    public static let versions: ClosedRange<Int16> = 0...3
    public static let firstFlexibleVersion: Int16 = 4

    public struct Request: KafkaMessage, Equatable {
        public struct MemberIdentity: Sendable, Equatable {
            public var memberID: String
            public var groupInstanceID: String?

            public init(memberID: String, groupInstanceID: String? = nil) {
                self.memberID = memberID
                self.groupInstanceID = groupInstanceID
            }
        }

        public var groupID: String
        /// v0–2: the member leaving ("" when absent, from v3).
        public var memberID: String
        /// v3+: the members leaving.
        public var members: [MemberIdentity]

        public init(groupID: String, memberID: String = "", members: [MemberIdentity] = []) {
            self.groupID = groupID
            self.memberID = memberID
            self.members = members
        }

        /// Who leaves, whatever the version: the `members` of v3+, or the one `memberID` before.
        public var leavingMembers: [MemberIdentity] {
            members.isEmpty && !memberID.isEmpty ? [MemberIdentity(memberID: memberID)] : members
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            groupID = try reader.string()
            memberID = version <= 2 ? try reader.string() : ""
            members = []
            if version >= 3 {
                members = try reader.array { reader in
                    let member = MemberIdentity(memberID: try reader.string(), groupInstanceID: try reader.nullableString())
                    try reader.taggedFields()
                    return member
                }
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.string(groupID)
            if version <= 2 { writer.string(memberID) }
            if version >= 3 {
                writer.array(members) { writer, member in
                    writer.string(member.memberID)
                    writer.nullableString(member.groupInstanceID)
                    writer.taggedFields()
                }
            }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct MemberResponse: Sendable, Equatable {
            public var memberID: String
            public var groupInstanceID: String?
            public var errorCode: KafkaErrorCode

            public init(memberID: String, groupInstanceID: String? = nil, errorCode: KafkaErrorCode = .none) {
                self.memberID = memberID
                self.groupInstanceID = groupInstanceID
                self.errorCode = errorCode
            }
        }

        /// v1+.
        public var throttleTimeMs: Int32
        public var errorCode: KafkaErrorCode
        /// v3+: one answer per member of the request.
        public var members: [MemberResponse]

        public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, members: [MemberResponse] = []) {
            self.throttleTimeMs = throttleTimeMs
            self.errorCode = errorCode
            self.members = members
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 1 ? try reader.int32() : 0
            errorCode = try KafkaErrorCode(reading: &reader)
            members = []
            if version >= 3 {
                members = try reader.array { reader in
                    let member = MemberResponse(
                        memberID: try reader.string(), groupInstanceID: try reader.nullableString(),
                        errorCode: try KafkaErrorCode(reading: &reader))
                    try reader.taggedFields()
                    return member
                }
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 1 { writer.int32(throttleTimeMs) }
            writer.int16(errorCode.rawValue)
            if version >= 3 {
                writer.array(members) { writer, member in
                    writer.string(member.memberID)
                    writer.nullableString(member.groupInstanceID)
                    writer.int16(member.errorCode.rawValue)
                    writer.taggedFields()
                }
            }
            writer.taggedFields()
        }
    }
}
