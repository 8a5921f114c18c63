public import NIOCore

/// SyncGroup (key 14): after JoinGroup, the leader sends every member's assignment and the
/// others send none; each member gets its own assignment back
/// (`ConsumerProtocolAssignment` bytes for protocol type "consumer"). The coordinator holds
/// the followers' requests until the leader's arrives.
///
/// Served v0–3; v3 adds static membership (`groupInstanceID`). v4 is the first flexible
/// version; v5's `ProtocolType` and `ProtocolName` are not modelled.
public enum SyncGroupAPI: KafkaAPI {
    public static let key = APIKey.syncGroup
    public static let versions: ClosedRange<Int16> = 0...3
    public static let firstFlexibleVersion: Int16 = 4

    public struct Request: KafkaMessage, Equatable {
        public struct SyncGroupRequestAssignment: Sendable, Equatable {
            public var memberID: String
            public var assignment: ByteBuffer

            public init(memberID: String, assignment: ByteBuffer) {
                self.memberID = memberID
                self.assignment = assignment
            }
        }

        public var groupID: String
        public var generationID: Int32
        public var memberID: String
        /// v3+.
        public var groupInstanceID: String?
        /// The leader's assignments for every member; empty from the others.
        public var assignments: [SyncGroupRequestAssignment]

        public init(
            groupID: String, generationID: Int32, memberID: String, groupInstanceID: String? = nil,
            assignments: [SyncGroupRequestAssignment] = []
        ) {
            self.groupID = groupID
            self.generationID = generationID
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.assignments = assignments
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            groupID = try reader.string()
            generationID = try reader.int32()
            memberID = try reader.string()
            groupInstanceID = version >= 3 ? try reader.nullableString() : nil
            assignments = try reader.array { reader in
                let item = SyncGroupRequestAssignment(memberID: try reader.string(), assignment: try reader.bytes())
                try reader.taggedFields()
                return item
            }
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.string(groupID)
            writer.int32(generationID)
            writer.string(memberID)
            if version >= 3 { writer.nullableString(groupInstanceID) }
            writer.array(assignments) { writer, item in
                writer.string(item.memberID)
                writer.bytes(item.assignment)
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        /// v1+.
        public var throttleTimeMs: Int32
        public var errorCode: KafkaErrorCode
        /// This member's assignment (empty with an error).
        public var assignment: ByteBuffer

        public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, assignment: ByteBuffer = ByteBuffer()) {
            self.throttleTimeMs = throttleTimeMs
            self.errorCode = errorCode
            self.assignment = assignment
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = version >= 1 ? try reader.int32() : 0
            errorCode = try KafkaErrorCode(reading: &reader)
            assignment = try reader.bytes()
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            if version >= 1 { writer.int32(throttleTimeMs) }
            writer.int16(errorCode.rawValue)
            writer.bytes(assignment)
            writer.taggedFields()
        }
    }
}
