import SystemPackage

/// The file side of the sparse indexes: fixed-size big-endian entries, loaded whole and
/// appended to in place (or rewritten after a rebuild).
enum IndexFile {
    /// The file's bytes, or none if it does not exist; a torn last entry is ignored.
    static func load(_ path: String, entrySize: Int) throws -> [UInt8] {
        guard FileSystem.exists(path) else { return [] }
        let bytes = try FileSystem.readWholeFile(path)
        return Array(bytes.prefix(bytes.count - bytes.count % entrySize))
    }

    /// Writes entries `from..<to` (each encoded by `encode`) at their place in the file;
    /// with `rewrite` the file is first cut to the entries before `from`.
    static func write(
        _ path: String, entrySize: Int, from: Int, to: Int, rewrite: Bool, sync: Bool,
        encode: (Int, ByteWriter) -> Void
    ) throws {
        let fd = try FileSystem.open(path, .writeOnly, create: true)
        defer { try? fd.close() }
        let writer = ByteWriter(capacity: max(1, to - from) * entrySize)
        for i in from..<to { encode(i, writer) }
        try FileSystem.write(fd, at: Int64(from * entrySize), writer.bytes, path: path)
        if rewrite { try FileSystem.truncate(fd, to: Int64(to * entrySize), path: path) }
        if sync { try FileSystem.fsync(fd, path: path) }
    }
}
