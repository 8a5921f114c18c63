import Foundation

/// What makes a sink's checkpoint true on a cluster, where the group's committed
/// offsets (not this host's checkpoint) say where every runner starts.
///
/// A commit is two steps: the output is made durable and this checkpoint written with
/// the commit's `id` (the output's new state, and `previous`, the state of the last
/// commit the group is known to hold); then the offsets go to the group, each with its
/// `CommitLedger` naming this runner's commit. A crash between the two leaves the
/// checkpoint ahead of the group: at the next start the ledger the group holds says
/// whether commit `id` reached it, and if not the output is cut back to `previous`, so
/// what another runner reads again from the group's offsets is written once.
struct ClusterCommit: Codable, Sendable {
    /// The runner (`ClusterLog.runnerID`) that wrote the checkpoint.
    var runner: String
    /// Increases with every commit of this runner's sink.
    var id: Int64
    /// The partitions the commit gives offsets for ("topic/partition"); none when the
    /// checkpoint waits for nothing (written after the output was cut back).
    var partitions: [String]
    /// The checkpoint (JSON) of the last commit known to be in the group.
    var previous: Data
}

/// The group-commit metadata a cluster sink writes beside each offset: for every runner
/// that has owned the partition, its last commit the partition's offsets went through.
/// Each owner carries forward what it found when it got the partition, so the group
/// always knows whether a runner's commit reached it, however often the partition moved
/// since.
struct CommitLedger: Equatable, Sendable {
    static let prefix = "weir1"
    /// At most this many bytes are written (Kafka keeps 4 KiB of metadata by default); the
    /// runners that committed longest ago are forgotten first.
    static let capacity = 3_000
    /// Runner and its last commit, the most recent last.
    private(set) var entries: [(runner: String, commit: Int64)] = []

    init() {}

    /// Reads metadata as written by `text`; anything else (another client's) is empty.
    init(parsing metadata: String) {
        let parts = metadata.split(separator: " ")
        guard parts.first == Substring(Self.prefix) else { return }
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=")
            guard pair.count == 2, let commit = Int64(pair[1]) else { continue }
            entries.append((String(pair[0]), commit))
        }
    }

    func commit(of runner: String) -> Int64? { entries.last { $0.runner == runner }?.commit }

    /// Records `runner`'s commit `id`.
    mutating func record(_ runner: String, _ id: Int64) {
        entries.removeAll { $0.runner == runner }
        entries.append((runner, id))
        while text.utf8.count > Self.capacity && entries.count > 1 { entries.removeFirst() }
    }

    var text: String { ([Self.prefix] + entries.map { "\($0.runner)=\($0.commit)" }).joined(separator: " ") }

    static func == (a: Self, b: Self) -> Bool { a.text == b.text }
}
