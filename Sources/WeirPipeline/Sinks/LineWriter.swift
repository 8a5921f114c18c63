import Foundation
import Logging
import WeirLog
import WeirValues

/// Lines for standard output, shared by every `stdout` sink of a process.
public protocol LineWriter: Sendable {
    func write(_ line: String) throws
    /// Makes what was written visible; throws when the reader went away.
    func flush() throws
}
