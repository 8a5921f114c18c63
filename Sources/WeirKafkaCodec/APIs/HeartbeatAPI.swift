/// Heartbeat (key 12): a member tells the coordinator it is alive (every 3 s by default);
/// the answer REBALANCE_IN_PROGRESS (27) tells it to rejoin, ILLEGAL_GENERATION (22) and
/// UNKNOWN_MEMBER_ID (25) that it was dropped.
///
/// Served v0–3; v3 adds static membership (`groupInstanceID`). v4 is the first flexible
/// version, otherwise the same as v3.
public enum HeartbeatAPI: KafkaAPI {
    public static let key = APIKey.heartbeat
    public static let versions: ClosedRange<Int16> = 0...3
    public static let firstFlexibleVersion: Int16 = 4

    public struct Request: KafkaMessage, Equatable {
        public var groupID: String
        public var generationID: Int32
        public var memberID: String
        /// v3+.
        public var groupInstanceID: String?

        public init(groupID: String, generationID: Int32, memberID: String, groupInstanceID: String? = nil) {
            self.groupID = groupID
            self.generationID = generationID
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            groupID = try reader.string()
            generationID = try reader.int32()
            memberID = try reader.string()
            groupInstanceID = version >= 3 ? try reader.nullableString() : nil
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.string(groupID)
            writer.int32(generationID)
            writer.string(memberID)
            if version >= 3 { writer.nullableString(groupInstanceID) }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        /// v1+.
        public var throttleTimeMs: Int32
        public var errorCode: KafkaErrorCode

        public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none) {
            self.throttleTimeMs = throttleTimeMs
            self.errorCode = errorCode
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 1 ? try reader.int32() : 0
            errorCode = try KafkaErrorCode(reading: &reader)
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 1 { writer.int32(throttleTimeMs) }
            writer.int16(errorCode.rawValue)
            writer.taggedFields()
        }
    }
}
