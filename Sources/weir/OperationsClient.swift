import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What `weir top` and `weir tap` use to talk to a `weir run --http`.
struct OperationsClient {
    let address: HTTPAddress
    /// Sent as `Authorization: Bearer …` when the endpoint asks for one.
    var token: String?

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// GETs `path` and returns the body of a 2xx answer (or of `allowing` ones).
    func get(_ path: String, timeout: Double = 5) throws -> Data {
        var request = request(path)
        request.timeoutInterval = timeout
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<(Data, Int), any Error> = .failure(Failure(description: "no answer"))
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                outcome = .failure(error)
            } else {
                outcome = .success((data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        let (data, status) = try outcome.mapError { unreachable($0) }.get()
        guard (200..<300).contains(status) else { throw Failure(description: Self.errorText(data, status: status)) }
        return data
    }

    private func request(_ path: String) -> URLRequest {
        var request = URLRequest(url: URL(string: address.url + path)!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return request
    }

    /// "cannot reach weir at …" with the reason and what to check.
    func unreachable(_ error: any Error) -> Failure {
        Failure(
            description: "cannot reach weir at \(address.url) (\(error.localizedDescription)); is `weir run --http \(address)` running?")
    }

    /// The `error` of a JSON error body, or the status.
    static func errorText(_ data: Data, status: Int) -> String {
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let error = object["error"] as? String {
            return error
        }
        return "HTTP status \(status)"
    }

    /// Streams the body of `path`, handing each complete line to `line` as it arrives,
    /// until the server ends it, `line` returns false, or an error.
    func streamLines(_ path: String, line: @escaping @Sendable (Data) -> Bool) throws {
        let delegate = LineStreamDelegate(line: line)
        let session = URLSession(configuration: .default, delegate: delegate, delegateQueue: nil)
        var request = request(path)
        request.timeoutInterval = 365 * 86_400
        let task = session.dataTask(with: request)
        delegate.task = task
        task.resume()
        delegate.done.wait()
        session.invalidateAndCancel()
        if let failure = delegate.failure {
            if let failure = failure as? Failure { throw failure }
            throw unreachable(failure)
        }
    }
}

/// Splits a streamed body into lines for `OperationsClient.streamLines`.
private final class LineStreamDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {  // called on the session's serial queue
    let line: @Sendable (Data) -> Bool
    let done = DispatchSemaphore(value: 0)
    var task: URLSessionDataTask?
    var failure: (any Error)?
    private var pending = Data()
    private var status = 0
    private var finished = false

    init(line: @escaping @Sendable (Data) -> Bool) {
        self.line = line
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        status = (response as? HTTPURLResponse)?.statusCode ?? 0
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard !finished else { return }
        pending.append(data)
        guard (200..<300).contains(status) else { return }
        while let newline = pending.firstIndex(of: 0x0a) {
            let text = pending[pending.startIndex..<newline]
            pending = Data(pending[pending.index(after: newline)...])
            if !line(Data(text)) {
                finish()
                dataTask.cancel()
                return
            }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard !finished else { return }
        if !(200..<300).contains(status), status != 0 {
            failure = OperationsClient.Failure(description: OperationsClient.errorText(pending, status: status))
        } else if let error {
            failure = error
        }
        finish()
    }

    private func finish() {
        finished = true
        done.signal()
    }
}
