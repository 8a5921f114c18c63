/// Durable replacement of small files (checkpoints), for the modules built on the log.
public enum DurableFile {
    /// Replaces `path` with `bytes`: temporary file, fsync, rename, fsync of the directory.
    /// After a crash or a power loss the file holds the old bytes or the new ones.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try FileSystem.writeAtomically(path, bytes)
    }

    /// fsyncs a directory, so an entry just created in it survives a power loss.
    public static func syncDirectory(_ path: String) throws {
        try FileSystem.fsyncDirectory(path)
    }
}
