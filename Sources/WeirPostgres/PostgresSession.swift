import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// One connection, used from the sink's (blocking) callers: every query waits for its
/// result on the caller's thread, a member's own thread, never a thread of Swift's
/// cooperative pool, nor an event loop (NIO's futures are waited on, no Task is made).
final class PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    /// The query being waited for, failed with `Closed` when the connection closes.
    private let pending = PendingQuery()

    init(_ configuration: PostgresConnection.Configuration, logger: Logger) throws {
        connection = try PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: 1, logger: logger
        ).wait()
        self.logger = logger
        connection.closeFuture.whenComplete { [pending] _ in pending.fail.withLock { $0?(Closed()) } }
    }

    /// The connection closed under a query (the driver may otherwise never answer one
    /// sent on a closed channel).
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the connection closed" }
    }

    /// Runs `query`; returns its rows and how many rows it changed. Fails with `Closed`
    /// when the connection closes first.
    @discardableResult
    func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        let result = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
        pending.fail.withLock { $0 = { result.fail($0) } }
        defer { pending.fail.withLock { $0 = nil } }
        // Checked after `pending` is set: a close from here on fails `result`.
        if connection.isClosed {
            result.fail(Closed())
        } else {
            connection.query(query, logger: logger).cascade(to: result)
        }
        return try result.futureResult.wait()
    }

    /// Whether `error` means the connection is gone: the batch is tried again on a new one.
    static func losesTheConnection(_ error: any Error) -> Bool {
        error is Closed || (error as? PSQLError)?.losesTheConnection == true
    }

    /// `COPY table (columns) FROM STDIN` of `data` (rows in COPY's text format), waited
    /// for like `run`. The driver's `copyFrom` is async: it runs in a task of its own while
    /// this (the member's) thread waits for its end. `table` and `columns` are the
    /// catalog's own names with `"` doubled: the driver puts each between double quotes.
    func copy(into table: String, columns: [String], data: [ByteBuffer]) throws {
        let done = connection.eventLoop.makePromise(of: Void.self)
        pending.fail.withLock { $0 = { done.fail($0) } }
        defer { pending.fail.withLock { $0 = nil } }
        if connection.isClosed {
            done.fail(Closed())
        } else {
            let (connection, logger) = (self.connection, self.logger)
            Task.detached {
                do {
                    try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                        for chunk in data { try await writer.write(chunk) }
                    }
                    done.succeed(())
                } catch {
                    done.fail(error)
                }
            }
        }
        try done.futureResult.wait()
    }

    func close() {
        try? connection.close().wait()
    }
}

/// Shared with the connection's close callback: fails the operation being waited for.
private final class PendingQuery: Sendable {
    let fail = Mutex<(@Sendable (any Error) -> Void)?>(nil)
}

extension PSQLError {
    /// The server's SQLSTATE and message (`PSQLError`'s own description hides them, in case
    /// they hold data), for a dead letter or a start error; nil for a client-side failure.
    var serverMessage: String? {
        guard let info = serverInfo, let message = info[.message] else { return nil }
        let detail = info[.detail].map { " (\($0))" } ?? ""
        return "\(info[.sqlState] ?? "?????") \(message)\(detail)"
    }

    /// Whether the connection is gone (closed, reset, the server shutting down: SQLSTATE
    /// class 08 or 57): the batch is tried again on a new one.
    var losesTheConnection: Bool {
        if let state = serverInfo?[.sqlState] { return state.hasPrefix("08") || state.hasPrefix("57") }
        return [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown].contains(code)
    }

    /// Whether the server rolled the transaction back for a conflict with another one
    /// (SQLSTATE 40P01 deadlock, 40001 serialization failure): the same transaction may
    /// succeed when tried again.
    var mustRetry: Bool {
        guard let state = serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// Whether the server refused a row for its data (SQLSTATE class 22, data exception;
    /// 23, integrity constraint; P0001, raised by a trigger): another row may pass. Any
    /// other error (a missing table, a lost connection) would refuse every row.
    var refusesTheRow: Bool {
        guard let state = serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23") || state == "P0001"
    }
}

/// A failure of the sink itself, with the server's message when it has one.
struct PostgresSinkError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }

    init(_ context: String, _ error: any Error) {
        description = "\(context): \(Self.message(error))"
    }

    /// The server's SQLSTATE and message, or the client's error code and cause.
    static func message(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        return error.serverMessage ?? "\(error.code)\(error.underlying.map { " (\($0))" } ?? "")"
    }
}
