import Foundation
import PostgresNIO
import WeirLog
import WeirPipeline
import WeirValues

/// The `postgres` source: a table or a query read incrementally, in the order of its
/// tracking columns (an id, or `updated_at` and an id), one record per row, its value the
/// row as a JSON object.
///
/// Each page of rows is appended as one batch together with the tracking values of its
/// last row (`SourceContext.append`'s position), so after a crash the log holds both or
/// neither, and the next start continues after the last row appended: no row is read
/// twice or skipped.
///
/// Rows can commit out of the order of their tracking values (a transaction that took id
/// 10 commits after the one that took id 11). A page read while transactions were in
/// progress is therefore held back until they have all ended, then read again up to its
/// last row, so a row committed late below it is still read.
struct PostgresSource: PipelineSource {
    let id: String
    let configuration: PostgresConnection.Configuration
    let relation: String
    let trackingColumns: [String]
    let timestampColumn: String?
    let pageSize: Int
    let interval: Duration

    init(options: ComponentOptions) throws {
        id = options.id
        do { configuration = try PostgresURL.configuration(try options.required("url")) } catch {
            throw PostgresSinkError("source '\(options.id)'", error)
        }
        switch (options.string("table"), options.string("query")) {
        case (let table?, nil): relation = PostgresCatalog.quoteQualified(table)
        case (nil, let query?): relation = "(\(query))"
        case (nil, nil): throw options.invalid("table", "or query is required: what the source reads")
        case (_?, _?): throw options.invalid("query", "cannot be given with table: the source reads one or the other")
        }
        trackingColumns = options.strings("tracking_column").map(PostgresColumn.quote)
        if trackingColumns.isEmpty { throw options.invalid("tracking_column", "must name at least one column") }
        timestampColumn = options.string("timestamp_column").map(PostgresColumn.quote)
        pageSize = Int(options.int("batch_rows") ?? 5000)
        interval = .milliseconds(options.int("interval_ms") ?? 1000)
    }

    var reportsConnection: Bool { true }

    func run(_ context: SourceContext) throws {
        var after: [String]?
        if let stored = context.position {
            guard let position = PostgresSourcePosition(stored), position.after.count == trackingColumns.count else {
                throw PostgresSinkError(
                    "source '\(id)': its stored position \(stored) does not fit tracking_column \(trackingColumns.joined(separator: ", "))"
                        + " (a new source id starts over)")
            }
            after = position.after
        }
        var delay = 0.1
        while !context.stop.isSet {
            do {
                let reader = try PostgresPageReader(source: self, logger: context.logger)
                defer { reader.session.close() }
                context.connected()
                delay = 0.1
                try read(reader, context, after: &after)
                return
            } catch  where PostgresSession.losesTheConnection(error) && !context.once {
                let reason = PostgresSinkError.message(error)
                context.disconnected("postgres: \(reason)")
                context.logger.warning("postgres connection lost; reconnecting", metadata: ["source": "\(id)", "error": "\(reason)"])
                context.stop.wait(until: .now + .seconds(delay))
                delay = min(delay * 2, 5)
            } catch let error as PostgresSinkError {
                throw error
            } catch {
                throw PostgresSinkError("source '\(id)': reading \(relation)", error)
            }
        }
    }

    /// Pages until a stop, or (`--once`) until a page comes back short: the end as it was.
    private func read(_ reader: PostgresPageReader, _ context: SourceContext, after: inout [String]?) throws {
        while !context.stop.isSet {
            guard let page = try reader.nextPage(after: after, stop: context.stop) else { return }
            if let last = page.rows.last {
                let records = page.rows.map { SourceRecord(value: Array($0.json.utf8), timestamp: $0.timestamp) }
                try context.append(records, position: PostgresSourcePosition(after: last.tracking).text)
                try context.flush()
                after = last.tracking
            }
            if page.full { continue }
            if context.once { return }
            context.stop.wait(until: .now + interval)
        }
    }
}

/// Reads the source's pages on one connection (the source's own thread waits on it).
struct PostgresPageReader {
    struct Row {
        var json: String
        var timestamp: Int64?
        var tracking: [String]
    }

    struct Page {
        var rows: [Row]
        /// As many rows as a page holds: more may follow at once.
        var full: Bool
    }

    let session: PostgresSession
    let query: PostgresSourceQuery
    let logger: Logger
    let source: String

    init(source: PostgresSource, logger: Logger) throws {
        session = try PostgresSession(source.configuration, logger: logger)
        do {
            // Timestamps in the rows' JSON are in UTC, whatever the server's own zone.
            try session.run("SET TimeZone = 'UTC'")
            let types = try PostgresSourceQuery.trackingTypes(source.trackingColumns, of: source.relation, in: session)
            query = PostgresSourceQuery(
                relation: source.relation, tracking: Array(zip(source.trackingColumns, types)),
                timestampColumn: source.timestampColumn, pageSize: source.pageSize)
        } catch {
            session.close()
            if PostgresSession.losesTheConnection(error) { throw error }
            throw PostgresSinkError("source '\(source.id)': \(source.relation) or its tracking columns cannot be read", error)
        }
        self.logger = logger
        self.source = source.id
    }

    /// The next page after `after`, its rows all committed below its last one; nil when a
    /// stop came while it waited for transactions to end.
    func nextPage(after: [String]?, stop: StopFlag) throws -> Page? {
        let (rows, inProgress) = try readInSnapshot(query.page(after: after))
        let full = rows.count == query.pageSize
        guard let last = rows.last, !inProgress.transactions.isEmpty else { return Page(rows: rows, full: full) }
        guard try waitForEnd(of: inProgress, stop: stop) else { return nil }
        // Everything at or below `last` has committed (or never will): read it again.
        let (complete, _) = try readInSnapshot(query.page(after: after, upTo: last.tracking))
        return Page(rows: complete, full: full)
    }

    /// Runs `page` in a read-only snapshot, and says which transactions it saw in progress.
    private func readInSnapshot(_ page: PostgresQuery) throws -> ([Row], SnapshotInProgress) {
        try session.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let snapshot = try session.run("SELECT pg_current_snapshot()::text").rows.first?.decode(String.self) ?? ""
            let rows = try session.run(page).rows.map { row in
                var cells = row.makeIterator()
                let json = try cells.next()?.decode(String.self) ?? "{}"
                let timestamp = try cells.next()?.decode(Int64?.self)
                var tracking: [String] = []
                while let cell = cells.next() { tracking.append(try cell.decode(String.self)) }
                return Row(json: json, timestamp: timestamp, tracking: tracking)
            }
            try session.run("COMMIT")
            return (rows, SnapshotInProgress(snapshot))
        } catch {
            _ = try? session.run("ROLLBACK")
            throw error
        }
    }

    /// Waits until every transaction of `inProgress` has ended; false when a stop came first.
    private func waitForEnd(of inProgress: SnapshotInProgress, stop: StopFlag) throws -> Bool {
        let started = ContinuousClock.now
        var warned = false
        while !stop.isSet {
            let xmin = try session.run("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").rows.first?.decode(String.self)
            if inProgress.ended(byXmin: xmin.flatMap { UInt64($0) } ?? .max) { return true }
            if !warned && ContinuousClock.now - started > .seconds(10) {
                warned = true
                logger.warning(
                    "waiting for transactions to end before reading past them",
                    metadata: ["source": "\(source)", "transactions": "\(inProgress.transactions)"])
            }
            stop.wait(until: .now + .milliseconds(20))
        }
        return false
    }
}
