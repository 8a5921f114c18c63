import Glibc

/// Everything the log can refuse or fail at, each with the place it happened.
///
/// `description` is one line meant for the user; the CLI prints exactly that.
public enum WeirLogError: Error, Equatable, CustomStringConvertible {
    case invalidTopicName(String, reason: String)
    case topicExists(String)
    case unknownTopic(String)
    case invalidPartition(topic: String, partition: Int, count: Int)
    case invalidConfig(String)
    case offsetOutOfRange(topic: String, partition: Int, offset: Int64, start: Int64, end: Int64)
    case corruptBatch(file: String, position: Int64, reason: String)
    case unsupportedCompressionCodec(Int)
    case compressionFailed(String)
    case io(operation: String, path: String, errno: Int32)
    case directoryLocked(path: String, holder: Int32?)
    case unknownGroupMember(group: String, member: String)
    case staleGeneration(group: String, member: String, generation: Int, current: Int)
    case partitionNotAssigned(group: String, member: String, topic: String, partition: Int)
    case groupHasActiveMembers(String)
    case unknownGroup(String)
    case noCommittedOffset(group: String, topic: String, partition: Int)
    case recordTooLarge(size: Int, limit: Int)
    /// The partition's directory (or its active segment) vanished while the log was open.
    case partitionDeleted(topic: String, partition: Int, path: String)

    public var description: String {
        switch self {
        case .invalidTopicName(let name, let reason):
            return "invalid topic name '\(name)': \(reason)"
        case .topicExists(let name):
            return "topic '\(name)' already exists"
        case .unknownTopic(let name):
            return "topic '\(name)' does not exist"
        case .invalidPartition(let topic, let partition, let count):
            return "topic '\(topic)' has no partition \(partition) (it has \(count): 0…\(count - 1))"
        case .invalidConfig(let text):
            return "invalid topic configuration: \(text)"
        case .offsetOutOfRange(let topic, let partition, let offset, let start, let end):
            return
                "offset \(offset) is out of range for \(topic)/\(partition): the log holds offsets \(start)…\(end - 1) (next offset \(end))"
        case .corruptBatch(let file, let position, let reason):
            return "\(file) at byte \(position): \(reason)"
        case .unsupportedCompressionCodec(let codec):
            let name = [2: " (snappy)", 3: " (lz4)", 4: " (zstd)"][codec] ?? ""
            return "unsupported compression codec \(codec)\(name): Weir reads and writes none (0) and gzip (1)"
        case .compressionFailed(let text):
            return "compression failed: \(text)"
        case .io(let operation, let path, let code):
            return "\(operation) \(path): \(String(cString: strerror(code)))"
        case .directoryLocked(let path, let holder):
            let who = holder.map { "process \($0)" } ?? "another process"
            return "data directory \(path) is in use by \(who); Weir allows one owner at a time"
        case .unknownGroupMember(let group, let member):
            return "group '\(group)' has no member '\(member)' (it left or its session expired): rejoin"
        case .staleGeneration(let group, let member, let generation, let current):
            return "group '\(group)': member '\(member)' used generation \(generation) but the group is at \(current): rejoin"
        case .partitionNotAssigned(let group, let member, let topic, let partition):
            return "group '\(group)': member '\(member)' does not own \(topic)/\(partition)"
        case .groupHasActiveMembers(let group):
            return "group '\(group)' has active members; stop them before resetting its offsets"
        case .unknownGroup(let group):
            return "group '\(group)' has no committed offsets and no members"
        case .noCommittedOffset(let group, let topic, let partition):
            return "group '\(group)' has no committed offset for \(topic)/\(partition) and its reset policy is 'error'"
        case .recordTooLarge(let size, let limit):
            return "record of \(size) bytes exceeds the limit of \(limit) bytes"
        case .partitionDeleted(let topic, let partition, let path):
            return
                "topic '\(topic)' partition \(partition): \(path) was deleted while the log was open; what was appended to it since is lost (the next run makes the topic again)"
        }
    }
}
