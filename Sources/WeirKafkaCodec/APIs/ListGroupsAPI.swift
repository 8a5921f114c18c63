/// ListGroups (key 16): the groups the broker coordinates, for admin tools.
///
/// Served v0–2 (v1 adds the throttle time; v2 is the same as v1). v3 is the first flexible
/// version; v4's states filter and group state and v5's types filter and group type are
/// not modelled.
public enum ListGroupsAPI: KafkaAPI {
    public static let key = APIKey.listGroups
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16 = 3

    /// No fields in the served versions.
    public struct Request: KafkaMessage, Equatable {
        public init() {}

        public init(from reader: inout KafkaReader, version: Int16) throws {
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct ListedGroup: Sendable, Equatable {
            public var groupID: String
            /// "consumer" for consumer groups, "" for groups that only commit offsets.
            public var protocolType: String

            public init(groupID: String, protocolType: String) {
                self.groupID = groupID
                self.protocolType = protocolType
            }
        }

        /// v1+.
        public var throttleTimeMs: Int32
        public var errorCode: KafkaErrorCode
        public var groups: [ListedGroup]

        public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, groups: [ListedGroup]) {
            self.throttleTimeMs = throttleTimeMs
            self.errorCode = errorCode
            self.groups = groups
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 1 ? try reader.int32() : 0
            errorCode = try KafkaErrorCode(reading: &reader)
            groups = try reader.array { reader in
                let group = ListedGroup(groupID: try reader.string(), protocolType: try reader.string())
                try reader.taggedFields()
                return group
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 1 { writer.int32(throttleTimeMs) }
            writer.int16(errorCode.rawValue)
            writer.array(groups) { writer, group in
                writer.string(group.groupID)
                writer.string(group.protocolType)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
