import Foundation
public import WeirLog

/// `weir groups reset-offsets` for a group a sink reads as. A sink continues from the
/// offsets in its own checkpoint (`pipelines/<name>/sink-<id>.checkpoint`), not from the
/// group's, which only mirror them: moving the group's alone would change nothing.
///
/// A sink whose checkpoint holds offsets only (stdout, topic, http, blackhole, plugins)
/// has them moved there too. The file sink is refused: its checkpoint commits the offsets
/// together with the length of its files, so moving them without cutting the files
/// would write records a second time (backwards) or leave a gap in them (forwards).
/// Removing its checkpoint instead makes it cut the files it wrote and write them again
/// from the start.
public enum GroupOffsetReset {
    /// Moves the group's committed offsets, and those of every sink checkpoint of the
    /// group, to `offsets`; returns the checkpoints it rewrote. The pipelines must be
    /// stopped (holding the log open ensures it).
    ///
    /// - Throws: `Refused`, changing nothing, when a file sink reads as the group.
    public static func reset(group: String, offsets: [TopicPartition: Int64], log: EmbeddedLog) throws -> [String] {
        let sinks = try checkpoints(of: group, in: log.directory + "/pipelines")
        if let file = sinks.first(where: { $0.checkpoint.path != nil || $0.checkpoint.files != nil }) {
            throw Refused(
                description: "group '\(group)' is read by file sink '\(file.sink)' of pipeline '\(file.pipeline)', which commits "
                    + "its offsets with the length of its output in \(file.store.path): moving them alone would write records twice "
                    + "or skip them (to write its output again from the start, stop weir and remove that checkpoint)")
        }
        try log.groups.resetOffsets(group: group, offsets: offsets)
        for var sink in sinks {
            for (key, offset) in offsets {
                let incarnation = try log.topic(key.topic).incarnation
                if let previous = sink.checkpoint.incarnations?[key.topic], previous != incarnation {
                    // Offsets of a topic since deleted and made again are meaningless now.
                    sink.checkpoint.offsets = sink.checkpoint.offsets.filter { $0.key.topic != key.topic }
                }
                sink.checkpoint.incarnations = (sink.checkpoint.incarnations ?? [:]).merging([key.topic: incarnation]) { $1 }
                sink.checkpoint.offsets[key] = offset
            }
            try sink.store.write(Array(try JSONEncoder().encode(sink.checkpoint)))
        }
        return sinks.map(\.store.path)
    }

    /// Why a reset was refused, in one line.
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    private struct SinkCheckpointFile {
        var pipeline: String
        var sink: String
        var store: SlottedCheckpoint
        var checkpoint: SinkCheckpoint
    }

    /// The checkpoints of the sinks that read as `group`: every pipeline's sinks, by the
    /// group their checkpoint names (or, written before it named one, by the default
    /// `<pipeline>.<sink id>`).
    private static func checkpoints(of group: String, in directory: String) throws -> [SinkCheckpointFile] {
        var found: [SinkCheckpointFile] = []
        let pipelines = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for pipeline in pipelines.sorted() {
            let folder = directory + "/" + pipeline
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            let sinks = Set(
                names.compactMap { name -> String? in
                    guard name.hasPrefix("sink-") else { return nil }
                    for suffix in [".checkpoint", ".json"] where name.hasSuffix(suffix) {
                        return String(name.dropFirst(5).dropLast(suffix.count))
                    }
                    return nil
                })
            for sink in sinks.sorted() {
                let fallback = "\(pipeline).\(sink)"
                let store = try SlottedCheckpoint(path: folder + "/sink-\(sink).checkpoint")
                let checkpoint: SinkCheckpoint?
                do {
                    checkpoint = try SinkRunner.readCheckpoint(store, legacy: folder + "/sink-\(sink).json")
                } catch  where fallback != group {
                    continue  // a damaged checkpoint of another group's sink is its run's business
                }
                guard let checkpoint, (checkpoint.group ?? fallback) == group else { continue }
                found.append(SinkCheckpointFile(pipeline: pipeline, sink: sink, store: store, checkpoint: checkpoint))
            }
        }
        return found
    }
}
