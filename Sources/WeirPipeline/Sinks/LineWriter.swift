import Foundation
import Logging
import WeirLog
import WeirValues

/// Lines for standard output, shared by every `stdout` sink of a process.
public protocol LineWriter: Sendable {
    func write(_ line: String) throws
    /// Whole lines, each ended by a newline, as UTF-8 (a sink's batch at once).
    func write(lines: [UInt8]) throws
    /// Makes what was written visible; throws when the reader went away.
    func flush() throws
}

extension LineWriter {
    public func write(lines: [UInt8]) throws {
        guard !lines.isEmpty else { return }
        try write(String(decoding: lines.dropLast(), as: UTF8.self))
    }
}
