package import Foundation
package import WeirLog

/// A fresh directory under /tmp, removed when the test ends.
package final class TemporaryDirectory {
    package let path: String

    package init() {
        path = FileManager.default.temporaryDirectory.path + "/weir-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to the file `name` in this directory (making the folders it names);
    /// the file's path.
    @discardableResult
    package func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path,
            withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }
}

package enum Paths {
    /// The package root, found from this file's path.
    package static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The 16 loghub samples kept in the repository (CRLF endings, last line without newline).
    package static let loghub: String = packageRoot + "/samples/loghub"

    package static var loghubFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: loghub)) ?? []).filter { $0.hasSuffix(".log") }.sorted()
    }

    /// The `weir` executable built next to the test bundle.
    package static let weir: String = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/weir"
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        return packageRoot + "/.build/debug/weir"
    }()
}

/// The result of running a command to its end.
package struct CommandResult {
    package var status: Int32
    package var stdout: Data
    package var stderr: String
    package var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// A child process started with `posix_spawn`, its stdin, stdout and stderr on pipes.
/// (Foundation's `Process.waitUntilExit` can hang on Linux when many tests spawn at
/// once; `waitpid` cannot.)
package final class ChildProcess: @unchecked Sendable {
    package let pid: pid_t
    package let stdin: FileHandle
    package let stdout: FileHandle
    package let stderr: FileHandle

    package init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        // Pipes are made close-on-exec under one lock with the spawn, so a child spawned
        // by a test running in parallel never inherits (and holds open) another's pipe.
        Self.spawnLock.lock()
        defer { Self.spawnLock.unlock() }
        var inPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let pid: pid_t
        do {
            pid = try ChildSpawn.spawn(
                executable, arguments, descriptors: [0: inPipe[0], 1: outPipe[1], 2: errPipe[1]],
                environment: env.map { "\($0.key)=\($0.value)" })
        } catch {
            for fd in inPipe + outPipe + errPipe { close(fd) }
            throw POSIXError(POSIXErrorCode(rawValue: error.errno) ?? .EIO)
        }
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        self.pid = pid
        stdin = FileHandle(fileDescriptor: inPipe[1], closeOnDealloc: true)
        stdout = FileHandle(fileDescriptor: outPipe[0], closeOnDealloc: true)
        stderr = FileHandle(fileDescriptor: errPipe[0], closeOnDealloc: true)
    }

    private static let spawnLock = NSLock()

    /// Waits for the child; its exit status, or 128 + signal if a signal ended it.
    package func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// Runs `executable` with `arguments`, feeding `input` on stdin, and waits for it.
@discardableResult
package func run(_ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) throws
    -> CommandResult
{
    signal(SIGPIPE, SIG_IGN)
    let child = try ChildProcess(executable, arguments, environment: environment)
    // Write stdin on its own thread so a large input cannot deadlock against a full stdout pipe.
    let writer = Thread {
        if let input { try? child.stdin.write(contentsOf: input) }
        try? child.stdin.close()
    }
    writer.start()
    let errorReader = DataReader(child.stderr)
    let out = child.stdout.readDataToEndOfFile()
    let status = child.wait()
    return CommandResult(status: status, stdout: out, stderr: String(decoding: errorReader.finish(), as: UTF8.self))
}

/// Reads a pipe to its end on a background thread.
package final class DataReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    package init(_ handle: FileHandle) {
        Thread {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }.start()
    }

    package func finish() -> Data {
        done.wait()
        return data
    }
}

/// Runs `weir` with a data directory.
@discardableResult
package func weir(_ dataDir: String, _ arguments: [String], input: Data? = nil) throws -> CommandResult {
    try run(Paths.weir, arguments + ["--data-dir", dataDir], input: input)
}

/// Lines of a text file as `weir produce` splits them: at \n, without \r, last line
/// counted even without a newline.
package func lines(of data: Data) -> [String] {
    // Split bytes, not Characters: in Swift "\r\n" is one Character.
    var pieces = data.split(separator: 0x0a, omittingEmptySubsequences: false)
    if data.last == 0x0a { pieces.removeLast() }
    if data.isEmpty { return [] }
    return pieces.map { piece in
        let trimmed = piece.last == 0x0d ? piece.dropLast() : piece
        return String(decoding: trimmed, as: UTF8.self)
    }
}

package func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Every record of every partition of a topic, in partition then offset order.
package func readAll(_ topic: Topic) throws -> [ConsumedRecord] {
    var result: [ConsumedRecord] = []
    for partition in topic.partitions {
        var reader = PartitionReader(partition: partition, from: try partition.startOffset)
        try reader.read(upTo: try partition.endOffset) { view in
            result.append(ConsumedRecord(topic: topic.name, partition: partition.id, offset: view.offset, record: view.record))
            return true
        }
    }
    return result
}

/// Reads, as a group member would, every partition `membership` owns from the group's
/// committed offset (or the earliest); returns the values and where each partition ended.
package func readOwned(_ log: EmbeddedLog, _ topic: Topic, _ membership: GroupMembership) throws -> (
    values: [String], positions: [TopicPartition: Int64]
) {
    var values: [String] = []
    var positions: [TopicPartition: Int64] = [:]
    for key in membership.assignment {
        let partition = try topic.partition(key.partition)
        var reader = PartitionReader(
            partition: partition, from: try log.startOffset(group: membership.group, partition: partition, reset: .earliest))
        try reader.read(upTo: partition.endOffset) { view in
            values.append(String(decoding: view.value!, as: UTF8.self))
            return true
        }
        positions[key] = reader.position
    }
    return (values, positions)
}

/// A deterministic random generator (SplitMix64), so failures reproduce.
package struct SeededGenerator: RandomNumberGenerator {
    package var state: UInt64
    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
