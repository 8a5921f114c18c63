/// Bytes of a segment file, by place: what a fetch sends with `sendfile` instead of
/// reading it (`Partition.fetchSpan`). Holds a descriptor of its own, which its holder
/// closes once the bytes are sent.
public struct FileSpan: Sendable, Equatable {
    /// A descriptor of the segment file (a duplicate: closing it leaves the log's own open).
    public let descriptor: Int32
    /// Where the bytes start in the file.
    public let offset: Int64
    /// How many bytes: whole batches.
    public let length: Int

    public init(descriptor: Int32, offset: Int64, length: Int) {
        self.descriptor = descriptor
        self.offset = offset
        self.length = length
    }
}
