import Foundation
import WeirTestSupport

/// A GET over a plain socket, read as it comes: for `/api/events`, a response that
/// never ends (URLSession would wait for its end), and for the headers of any response.
final class StreamingGet {
    private let socket: Int32
    private var received: [UInt8] = []
    /// The status and headers (names in lower case), once read.
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    /// The body so far, chunked transfer coding removed.
    private(set) var body: [UInt8] = []
    private var chunked = false
    private var headEnd: Int?
    private var decoded = 0

    /// Connects to `address` (`127.0.0.1:PORT`) and sends the request.
    init(_ address: String, _ path: String, authorization: String? = nil) throws {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw Failure(description: "bad address \(address)") }
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        inet_pton(AF_INET, String(parts[0]), &target.sin_addr)
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw Failure(description: "cannot connect to \(address)")
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: \(address)\r\nAccept: */*\r\n"
        if let authorization { request += "Authorization: \(authorization)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        guard send(socket, bytes, bytes.count, 0) == bytes.count else { throw Failure(description: "cannot send to \(address)") }
    }

    deinit { close(socket) }

    /// Reads until `condition` holds for what came (the head is read first), for at most
    /// `seconds`; throws if the connection ends or time runs out before.
    @discardableResult
    func read(until what: String, seconds: Double = 30, _ condition: (StreamingGet) -> Bool) throws -> StreamingGet {
        let deadline = Date().addingTimeInterval(seconds)
        while headEnd == nil || !condition(self) {
            guard Date() < deadline else { throw Failure(description: "timed out after \(seconds) s reading until \(what)") }
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else {
                if headEnd != nil && condition(self) { break }
                throw Failure(description: "the connection ended before \(what): \(String(decoding: received, as: UTF8.self))")
            }
            received += chunk[0..<count]
            parse()
        }
        return self
    }

    /// The head once; then the body's chunks as far as they came.
    private func parse() {
        if headEnd == nil {
            guard let end = (0..<max(0, received.count - 3)).first(where: { received[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) })
            else { return }
            let lines = String(decoding: received[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            status = Int(lines[0].split(separator: " ")[1]) ?? 0
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
            headEnd = end + 4
            decoded = end + 4
        }
        guard chunked else {
            body = Array(received[decoded...])
            return
        }
        // Chunks: a hex size line, the bytes, CRLF.
        while let lineEnd = (decoded..<max(decoded, received.count - 1)).first(where: { received[$0] == 13 && received[$0 + 1] == 10 }) {
            let sizeText = String(decoding: received[decoded..<lineEnd], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16), received.count >= lineEnd + 2 + size + 2 else { return }
            body += received[(lineEnd + 2)..<(lineEnd + 2 + size)]
            decoded = lineEnd + 2 + size + 2
            if size == 0 { return }
        }
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The server-sent events so far: each one's `event` name and `data`.
    var events: [(event: String, data: String)] {
        text.components(separatedBy: "\n\n").dropLast().compactMap { block in
            var event = "message"
            var data: [String] = []
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
            }
            return data.isEmpty ? nil : (event, data.joined(separator: "\n"))
        }
    }
}
