import Foundation
import Logging
import Synchronization
import WeirLog
import WeirValues

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `http` sink: POSTs the records as a JSON array (each the fields plus
/// `_timestamp`), `batch_size` records per request. A connection failure, a timeout or a
/// 5xx is retried with exponential backoff (0.1 s doubling to 30 s; for ever unless
/// `max_retries` says otherwise, which then stops the pipeline before the batch is
/// committed); so are 408, 429 and redirects (not followed: a POST would become a GET).
/// Any other 4xx means the records themselves were refused: they go to the dead-letter
/// topic with the status and the start of the response. At least once: a
/// run killed after a POST and before its commit posts that batch again.
final class HTTPSink: SinkOutput {
    let url: URL
    let batchSize: Int
    let timeout: TimeInterval
    let maxRetries: Int?
    let component: String
    let deadLetters: DeadLetters
    let abort: StopFlag
    let logger: Logger
    private let session: URLSession

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    init(options: ComponentOptions, deadLetters: DeadLetters, abort: StopFlag, logger: Logger) throws {
        guard let text = options.string("url"), let url = URL(string: text), url.scheme == "http" || url.scheme == "https" else {
            throw PipelineError(description: "sink '\(options.id)' needs an http:// or https:// url")
        }
        self.url = url
        batchSize = options.int("batch_size").map(Int.init) ?? 1000
        timeout = options.int("timeout_ms").map { Double($0) / 1000 } ?? 10
        maxRetries = options.int("max_retries").map(Int.init)
        component = options.id
        self.deadLetters = deadLetters
        self.abort = abort
        self.logger = logger
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        var start = 0
        while start < records.count {
            let batch = Array(records[start..<min(records.count, start + batchSize)])
            try post(batch)
            start += batchSize
        }
        // Dead letters of refused batches are appended before the runner commits.
        try deadLetters.flush()
    }

    private func post(_ batch: [PipelineRecord]) throws {
        var body: [UInt8] = [UInt8(ascii: "[")]
        var scratch = JSONObjectScratch()
        for (i, record) in batch.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            RecordEncoding.json.write(record, into: &body, scratch: &scratch)
        }
        body.append(UInt8(ascii: "]"))
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body)
        var attempt = 0
        var delay = 0.1
        while true {
            let (status, text, error) = try send(request)
            if let status, (200..<300).contains(status) { return }
            // A 4xx refuses the records, except 408 and 429, which ask to try again later.
            if let status, (400..<500).contains(status), status != 408, status != 429 {
                let reason = "HTTP \(status) from \(url.absoluteString): \(text.prefix(200))"
                for record in batch { deadLetters.add(record, reason: reason, component: component) }
                return
            }
            // A redirect is not followed (a POST would become a GET and the records would be
            // lost): it is a failure like a 5xx, for the URL to be fixed.
            let problem =
                status.map { "HTTP \($0): \(text.prefix(200))" } ?? "\(error.map { "\($0.localizedDescription)" } ?? "no response")"
            attempt += 1
            if let maxRetries, attempt > maxRetries {
                throw Failed(description: "sink '\(component)': POST \(url.absoluteString) failed \(attempt) times, last: \(problem)")
            }
            logger.warning(
                "POST failed; retrying",
                metadata: ["sink": "\(component)", "attempt": "\(attempt)", "in_seconds": "\(delay)", "problem": "\(problem)"])
            // An abort ends the backoff at once.
            if abort.wait(until: .now + .seconds(delay)) {
                throw Failed(description: "sink '\(component)': stopped while retrying \(url.absoluteString)")
            }
            delay = min(30, delay * 2)
        }
    }

    /// One request, waited for: the status (nil without a response), the body as text, the
    /// error. An abort cancels it rather than wait for the server.
    private func send(_ request: URLRequest) throws -> (Int?, String, (any Error)?) {
        let done = ChangeSignal()
        let outcome = Mutex<(Int?, String, (any Error)?)?>(nil)
        let task = session.dataTask(with: request) { data, response, error in
            let status = (response as? HTTPURLResponse)?.statusCode
            let text = data.map { String(decoding: $0, as: UTF8.self) } ?? ""
            outcome.withLock { $0 = (status, text, error) }
            done.signal()
        }
        task.resume()
        while true {
            let marks = [done.mark(), abort.mark()]
            if let outcome = outcome.withLock({ $0 }) { return outcome }
            if abort.isSet {
                task.cancel()
                throw Failed(description: "sink '\(component)': stopped while posting to \(url.absoluteString)")
            }
            // The response and `abort` wake it: no deadline (the request has its own timeout).
            ChangeSignal.wait(for: marks, until: nil)
        }
    }
}

/// Refuses every redirect: the 3xx response itself comes back to the sink.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // unchecked: a subclass of NSObject (not Sendable) can only be unchecked; it has no state.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
