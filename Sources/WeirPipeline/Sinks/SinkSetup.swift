import Foundation
public import Logging
import WeirLog
import WeirValues

/// What a sink is made from: its options, and what the run offers it.
public struct SinkSetup {
    public let options: ComponentOptions
    public let logger: Logger
    /// Set when the run stops at once: a sink waiting (retrying) should give up.
    public let abort: StopFlag
    let log: any PipelineLog
    let lines: any LineWriter
    let deadLetters: DeadLetters
    /// The sink's last commit, and where its checkpoint files are.
    let saved: SinkCheckpoint?
    let checkpointPath: String
    let createdPath: String

    /// Sends a record the sink refuses (and will refuse again) to the pipeline's
    /// dead-letter topic with the reason, before the batch's commit.
    public func deadLetter(_ record: PipelineRecord, reason: String) {
        deadLetters.add(record, reason: reason, component: options.id)
    }

    /// Appends the records dead-lettered so far now, rather than after `write` returns: a
    /// sink that commits its output itself (postgres) does so before its commit, so a crash
    /// between the two repeats a dead letter instead of losing it.
    public func flushDeadLetters() throws {
        try deadLetters.flush()
    }
}
