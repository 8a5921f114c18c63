/// DeleteGroups (key 42): admin tools delete empty groups and their committed offsets; a
/// group with members is answered NON_EMPTY_GROUP (68), an unknown one GROUP_ID_NOT_FOUND (69).
///
/// Served v0–1 (v1 is the same as v0). v2 is the first flexible version, otherwise the same.
public enum DeleteGroupsAPI: KafkaAPI {
    public static let key = APIKey.deleteGroups
    public static let versions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16 = 2

    public struct Request: KafkaMessage, Equatable {
        public var groupsNames: [String]

        public init(groupsNames: [String]) {
            self.groupsNames = groupsNames
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            groupsNames = try reader.array { try $0.string() }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.array(groupsNames) { $0.string($1) }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct DeletableGroupResult: Sendable, Equatable {
            public var groupID: String
            public var errorCode: KafkaErrorCode

            public init(groupID: String, errorCode: KafkaErrorCode = .none) {
                self.groupID = groupID
                self.errorCode = errorCode
            }
        }

        /// In every version (unlike most responses, also v0).
        public var throttleTimeMs: Int32
        public var results: [DeletableGroupResult]

        public init(throttleTimeMs: Int32 = 0, results: [DeletableGroupResult]) {
            self.throttleTimeMs = throttleTimeMs
            self.results = results
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = try reader.int32()
            results = try reader.array { reader in
                let result = DeletableGroupResult(groupID: try reader.string(), errorCode: try KafkaErrorCode(reading: &reader))
                try reader.taggedFields()
                return result
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.int32(throttleTimeMs)
            writer.array(results) { writer, result in
                writer.string(result.groupID)
                writer.int16(result.errorCode.rawValue)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
