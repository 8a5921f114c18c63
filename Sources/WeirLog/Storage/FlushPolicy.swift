/// When a partition's appended bytes are forced to disk with `fsync`.
public enum FlushPolicy: String, Sendable, Codable, CaseIterable {
    /// fsync before an append is acknowledged; concurrent appends share one fsync.
    /// Survives a process crash and a power loss.
    case always
    /// fsync every `flushIntervalMs` and whenever `flushIntervalBytes` are unflushed.
    /// Survives a process crash; a power loss can lose the last interval.
    case interval
    /// fsync only on segment roll and clean shutdown (Kafka's default).
    /// Survives a process crash; a power loss can lose everything since the last roll.
    case pagecache
}
