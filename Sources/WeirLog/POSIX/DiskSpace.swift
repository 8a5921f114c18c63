import Glibc
import Logging
import Synchronization

/// What a write does when the disk is full: it waits for space instead of failing. A
/// full disk pauses the pipelines writing to it — with one log line per file that
/// waits — and they go on where they stopped once space returns: nothing is lost, and no
/// batch is half written (a segment write that did not finish is written again, whole,
/// at the same place).
public enum DiskSpace {
    static let logger = Logger(label: "weir.disk")
    /// Paths whose writes wait for space now (each logged once per episode).
    private static let waiting = Mutex<Set<String>>([])
    private static let waitingCount = Atomic<Int>(0)
    /// How long a writer waits before it tries again.
    public static let retryMicroseconds: UInt32 = 200_000

    /// After a write on `path` failed with `code`: true, once it has waited a moment,
    /// when the disk (or the quota) is full and the write should be tried again; false
    /// for any other error.
    public static func waitIfFull(_ code: Int32, path: String) -> Bool {
        guard code == ENOSPC || code == EDQUOT, !stopped.load(ordering: .acquiring) else { return false }
        let first = waiting.withLock { $0.insert(path).inserted }
        if first {
            waitingCount.add(1, ordering: .relaxed)
            logger.warning("no space left on the device: writing waits for space, then goes on", metadata: ["path": "\(path)"])
        }
        // A plain sleep: nothing signals that space came back (a file deleted elsewhere,
        // another process's write), so the write is simply tried again after a while.
        usleep(retryMicroseconds)
        return true
    }

    private static let stopped = Atomic<Bool>(false)

    /// From now on a full disk fails the write instead (the run is ending: a stop signal
    /// and its drain time are over).
    public static func stopWaiting() { stopped.store(true, ordering: .releasing) }

    /// After a write on `path` succeeded: says so when it had been waiting for space.
    public static func wrote(path: String) {
        guard waitingCount.load(ordering: .relaxed) > 0 else { return }
        guard waiting.withLock({ $0.remove(path) != nil }) else { return }
        waitingCount.subtract(1, ordering: .relaxed)
        logger.warning("space again: writing goes on", metadata: ["path": "\(path)"])
    }
}
