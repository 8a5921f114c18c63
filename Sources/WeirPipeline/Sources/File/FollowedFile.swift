import Foundation
import WeirValues

/// One open file a `file` or `tail` source reads: where it is in the file, and the
/// unfinished line at its end.
///
/// `offset` is what a restart continues from: the end of the last line appended (or
/// skipped). Bytes after it are read again after a crash, never lost.
final class FollowedFile {
    let slot: Int
    var path: String
    let fd: Int32
    var identity: FileIdentity
    var offset: UInt64
    /// Bytes read so far; `unfinished` holds the line that starts at `offset` when no
    /// multiline record is pending.
    var readOffset: UInt64
    /// The bytes of the line not yet ended by a newline (at most `maxLineBytes` of it).
    var unfinished: [UInt8] = []
    /// The unfinished line is longer than `maxLineBytes`; the rest of it is skipped.
    var oversize = false
    /// Where a line was appended without its newline: an empty line (or a lone `\r`)
    /// starting here only ends it.
    var partialEnd: UInt64?
    var joiner: MultilineJoiner?
    /// When the file last grew (or was opened), in monotonic ms.
    var lastGrowth: Int64
    /// No glob path leads to it any more (renamed away or deleted): it is read to its end
    /// and closed once it stops growing.
    var gone = false

    init(
        slot: Int, path: String, fd: Int32, identity: FileIdentity, offset: UInt64, partialLine: Bool = false,
        multiline: MultilineJoiner.Rule?, now: Int64
    ) {
        self.slot = slot
        self.path = path
        self.fd = fd
        self.identity = identity
        self.offset = offset
        self.readOffset = offset
        self.partialEnd = partialLine ? offset : nil
        self.joiner = multiline.map(MultilineJoiner.init)
        self.lastGrowth = now
    }

    deinit { close(fd) }

    var cursor: FileCursor { FileCursor(identity: identity, offset: offset, partialLine: partialEnd == offset ? true : nil) }

    /// The open file by its descriptor, for reads after it was renamed or deleted.
    var descriptorPath: String { "/proc/self/fd/\(fd)" }

    var size: UInt64? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return UInt64(info.st_size)
    }

    /// Whether anything read is still waiting to be appended.
    var holdsUnappended: Bool { !unfinished.isEmpty || oversize || !(joiner?.isEmpty ?? true) }
}
