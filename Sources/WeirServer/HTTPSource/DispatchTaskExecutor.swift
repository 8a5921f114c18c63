import Dispatch

/// Runs tasks on Dispatch's threads instead of Swift's cooperative pool: for a server
/// inside a process whose pool other code may keep busy (a pipeline's synchronous work,
/// or tests that wait), so it still starts and answers. Tasks created with it as their
/// executor preference run their child tasks here too (Hummingbird's per-connection
/// tasks among them).
final class DispatchTaskExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
