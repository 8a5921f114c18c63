/// The compression codec in a batch's attributes (bits 0–2), as Kafka numbers them.
public enum CompressionCodec: Int, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case none = 0
    /// RFC 1952 gzip framing around deflate, written by zlib.
    case gzip = 1

    /// Reads the codec bits of a batch's attributes; snappy, lz4 and zstd are refused.
    public init(attributes: Int16) throws {
        let bits = Int(attributes & 0x07)
        guard let codec = CompressionCodec(rawValue: bits) else {
            throw WeirLogError.unsupportedCompressionCodec(bits)
        }
        self = codec
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "none": self = .none
        case "gzip": self = .gzip
        default: return nil
        }
    }

    public var description: String { self == .none ? "none" : "gzip" }
}
