/// Kafka's rule for topic names: `[a-zA-Z0-9._-]{1,249}`, and not `.` or `..`.
/// Because of it a topic name can never leave the data directory as a path.
public enum TopicName {
    public static let maxLength = 249

    public static func validate(_ name: String) throws {
        guard !name.isEmpty else { throw WeirLogError.invalidTopicName(name, reason: "it is empty") }
        guard name.utf8.count <= maxLength else {
            throw WeirLogError.invalidTopicName(name, reason: "it is longer than \(maxLength) characters")
        }
        guard name != ".", name != ".." else {
            throw WeirLogError.invalidTopicName(name, reason: "'.' and '..' are not allowed")
        }
        for byte in name.utf8 where !isLegal(byte) {
            let shown = byte < 0x80 ? "'\(Character(Unicode.Scalar(byte)))'" : "a non-ASCII character"
            throw WeirLogError.invalidTopicName(
                name, reason: "\(shown) is not allowed; use letters, digits, '.', '_' and '-'")
        }
    }

    private static func isLegal(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
