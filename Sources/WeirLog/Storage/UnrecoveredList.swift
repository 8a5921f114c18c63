/// The file a clean close writes, instead of the clean-shutdown marker, when partitions an
/// earlier unclean stop left were never used (so never recovered) since: the next open
/// trusts every other partition and recovers these on their first use.
///
/// ```
/// weir-unrecovered <token>
/// <topic>/<partition>
/// ```
///
/// The token is the one the same close stamps into the directory lock
/// (`DirectoryLock.stampClose`). Any owner rewrites the lock, an older Weir that knows
/// nothing of this file included, so a list whose token the lock no longer holds was
/// outlived by another owner (who may have stopped uncleanly since) and says nothing.
enum UnrecoveredList {
    static let fileName = ".unrecovered-partitions"
    private static let header = "weir-unrecovered "

    static func encode(_ partitions: [TopicPartition], token: String) -> [UInt8] {
        var text = header + token + "\n"
        for partition in partitions.sorted() { text += "\(partition.topic)/\(partition.partition)\n" }
        return Array(text.utf8)
    }

    /// The partitions listed, or nil when the list is not the last word of the previous
    /// owner (`token` is not the one it was written with) or does not parse.
    static func decode(_ bytes: [UInt8], token: String?) -> Set<TopicPartition>? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard let token, let first = lines.first, first == header + token, lines.last == "" else { return nil }
        var partitions = Set<TopicPartition>()
        for line in lines.dropFirst().dropLast() {
            guard let slash = line.lastIndex(of: "/"), let id = Int(line[line.index(after: slash)...]), id >= 0 else {
                return nil
            }
            partitions.insert(TopicPartition(topic: String(line[..<slash]), partition: id))
        }
        return partitions
    }
}
