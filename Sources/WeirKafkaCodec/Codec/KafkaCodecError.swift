/// A request or response that does not decode: too short, or a field that cannot be.
public enum KafkaCodecError: Error, Equatable, CustomStringConvertible {
    case truncated(String)
    case malformed(String)
    case unsupportedVersion(apiKey: Int16, version: Int16)
    case unknownAPI(Int16)
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case .truncated(let what): "the frame ends inside a \(what)"
        case .malformed(let what): "malformed: \(what)"
        case .unsupportedVersion(let key, let version): "API \(key) version \(version) is not served"
        case .unknownAPI(let key): "API key \(key) is not served"
        case .trailingBytes(let count): "\(count) bytes after the end of the message"
        }
    }
}
