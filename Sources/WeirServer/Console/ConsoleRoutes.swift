import Hummingbird
import NIOCore

/// The web console's routes: the page and its assets, `/api/history` and the live
/// `/api/events`. They sit behind the same `BearerTokenMiddleware` as every other path.
enum ConsoleRoutes {
    static func add(to router: Router<BasicRequestContext>, history: RunHistory) {
        router.get("/") { _, _ in asset(ConsolePage.html, type: "text/html; charset=utf-8") }
        router.get("/console.js") { _, _ in asset(ConsoleScript.javascript, type: "text/javascript; charset=utf-8") }
        router.get("/console.css") { _, _ in asset(ConsoleStyle.css, type: "text/css; charset=utf-8") }
        router.get("/api/history") { _, _ in
            OperationsServer.json(.ok, HistoryReport(history))
        }
        router.get("/api/events") { _, _ in
            guard let slot = history.openStream() else {
                return OperationsServer.json(
                    .serviceUnavailable,
                    OperationsServer.Failure(error: "\(history.maximumStreams) event streams are open already: close one (a console tab)"))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: eventStream(history: history, slot: slot))
        }
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Each new sample as `event: sample`, until the client goes (the write fails), the
    /// server stops, or the request is cancelled. The stream keeps `slot` until it ends
    /// (or, never started, until the body is dropped).
    static func eventStream(history: RunHistory, slot: RunHistory.StreamSlot) -> ResponseBody {
        ResponseBody { writer in
            defer { withExtendedLifetime(slot) {} }
            // Reconnect after 2 s if the connection drops; a comment so the headers go now.
            try await writer.write(ByteBuffer(string: "retry: 2000\n: weir\n\n"))
            var sent: UInt64 = 0
            while let event = await history.event(after: sent) {
                try await writer.write(ByteBuffer(bytes: event.bytes))
                sent = event.sequence
            }
            try await writer.finish(nil)
        }
    }
}
