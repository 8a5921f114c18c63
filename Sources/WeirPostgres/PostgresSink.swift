import Foundation
import Logging
import PostgresNIO
import WeirLog
import WeirPipeline
import WeirValues

/// The `postgres` sink: records as rows of a table, exactly once.
///
/// Each batch is one transaction: its rows (`COPY … FROM STDIN`; for `mode: upsert` or
/// `method: insert` multi-row `INSERT`s) and the next offset of its input partition,
/// upserted into the offsets table (`weir_offsets`), commit together. At start the sink
/// reads that table back (`outputOffsets`) and the run starts there: the database is the
/// checkpoint, so a run killed at any moment leaves every input record in the table once.
/// Members write at once, each on a connection of its own (see `idle`).
///
/// A row the server refuses for its data (a constraint, a value the type cannot parse)
/// fails the whole `COPY`: the batch then goes in by multi-row `INSERT`s instead, and the
/// refused row is found by inserting that statement's rows one by one under savepoints;
/// it goes to the dead-letter topic with the server's SQLSTATE and message, and the
/// others commit. So does a value that can never go into its column (an object into an
/// integer). Any other error (the connection lost, the table dropped) stops the run with
/// the batch uncommitted.
final class PostgresSink: SinkOutput, JSONObjectsWriter {
    /// Where a column's value comes from.
    enum Source: Sendable {
        /// The field of the column's name; a record without it leaves the column's `DEFAULT`.
        case field(String)
        case expression(WeirValues.Expression)
        /// The record's timestamp (`timestamp_column`).
        case timestamp
    }

    /// One column's value in one row.
    enum Cell {
        case text(String)
        case null
        case absent

        var textValue: String? {
            if case .text(let text) = self { return text }
            return nil
        }
    }

    /// Connections not in use: a member takes one for its batch (a new one when none is
    /// free) and puts it back, so members write their batches at once, each in a
    /// transaction on its own connection (their partitions, and so their offsets' rows,
    /// differ): one member's rows are encoded while the server stores another's.
    private var idle: [PostgresSession]
    private let idleLock = NSLock()
    /// Not for `mode: upsert`: two transactions updating the same keys in different
    /// orders would deadlock each other again and again; its members take turns.
    var writesConcurrently: Bool { key == nil }
    let configuration: PostgresConnection.Configuration
    let setup: SinkSetup
    /// The table as the catalog quotes it (`regclass::text`).
    let table: String
    /// The table and the columns written as the driver's `copyFrom` takes them: it puts
    /// each name between double quotes, so these are the catalog's names with `"` doubled
    /// (and the schema's and table's joined by `"."`).
    let copyTable: String
    let copyColumns: [String]
    let columns: [(column: PostgresColumn, source: Source)]
    /// Indices in `columns` of the upsert's conflict columns; nil for `mode: insert`.
    let key: [Int]?
    /// Whether rows go in by `COPY` (`method: copy`, the default, and `mode: insert`).
    let copies: Bool
    let offsetsTable: String
    let outputOffsets: [TopicPartition: Int64]?
    /// Rows per `INSERT`: a statement takes at most 65,535 parameters.
    let rowsPerStatement: Int
    var offsetsOnlyInCheckpoint: Bool { true }
    /// A batch is a transaction, and its commit an fsync on the server: 20,000 records a
    /// batch (about 5 MB of `COPY` text for access-log rows) make 50 commits a million
    /// rows instead of 250, while the rows and their offsets still commit together.
    var batchRecords: Int? { 20_000 }
    /// The server stores a batch's rows while the member parses its next one.
    var waitsOnServer: Bool { true }
    private var component: String { setup.options.id }

    init(setup: SinkSetup) throws {
        let options = setup.options
        let id = options.id
        self.setup = setup
        do { configuration = try PostgresURL.configuration(try options.required("url")) } catch {
            throw PostgresSinkError("sink '\(id)'", error)
        }
        let session: PostgresSession
        do {
            session = try PostgresSession(configuration, logger: setup.logger)
        } catch {
            throw PostgresSinkError("sink '\(id)': cannot connect to \(configuration.host ?? "?"):\(configuration.port ?? 0)", error)
        }
        idle = [session]
        do {
            let described = try PostgresCatalog.describe(try options.required("table"), in: session, sink: id)
            table = described.table
            let columns = try PostgresCatalog.mapping(options, described.columns)
            self.columns = columns
            copyTable = try PostgresCatalog.schemaAndName(described.table, in: session, sink: id).map(Self.copyName)
                .joined(separator: "\".\"")
            copyColumns = columns.map { Self.copyName($0.column.name) }
            key = try PostgresCatalog.conflictColumns(options, columns.map(\.column))
            copies = key == nil && options.string("method") != "insert"
            rowsPerStatement = max(1, min(1000, 65_535 / max(1, columns.count)))
            let offsetsTable = PostgresCatalog.quoteQualified(options.string("offsets_table") ?? "weir_offsets")
            self.offsetsTable = offsetsTable
            try PostgresCatalog.createOffsetsTable(offsetsTable, in: session, sink: id)
            outputOffsets = try PostgresCatalog.readOffsets(offsetsTable, pipeline: options.pipeline, sink: id, in: session)
        } catch {
            session.close()
            throw error
        }
        do { try session.checkStatement(insertSQL(rows: 0), sink: id) } catch {
            session.close()
            throw error
        }
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        throw PostgresSinkError("sink '\(component)' writes only with its input's offsets")
    }

    /// A batch's rows as they go to the server: `COPY`'s text, or cells for `INSERT`s.
    enum Rows {
        case copy(PostgresCopyRows)
        case cells([(index: Int, cells: [Cell])])
    }

    func write(_ records: [PipelineRecord], input: TopicPartition, next: Int64, checkpoint: inout SinkCheckpoint) throws {
        let rows: Rows =
            copies
            ? .copy(PostgresCopyRows(records, columns: columns) { setup.deadLetter($0, reason: $1) })
            : .cells(self.rows(records))
        try write(rows, { records }, input: input, next: next)
    }

    /// `COPY` rows made from the JSON of values as read (`PostgresJSONRows`), and the
    /// records refused while making them.
    struct EncodedRows: Sendable {
        let rows: PostgresCopyRows
        let refused: [(record: PipelineRecord, reason: String)]
    }

    func encode(_ values: TopicValues, parsing parser: JSONFieldParser) -> (any Sendable)? {
        guard copies else { return nil }
        return PostgresJSONRows.rows(values, parsing: parser, columns: columns).map { EncodedRows(rows: $0.rows, refused: $0.refused) }
    }

    func write(
        encoded: any Sendable, parsed: () throws -> [PipelineRecord], input: TopicPartition, next: Int64,
        checkpoint: inout SinkCheckpoint
    ) throws {
        guard let encoded = encoded as? EncodedRows else { throw PostgresSinkError("sink '\(component)': rows of another sink") }
        for (record, reason) in encoded.refused { setup.deadLetter(record, reason: reason) }
        // Parsed once, when a refused row needs the batch's records.
        var records: [PipelineRecord]?
        let batch = { () throws -> [PipelineRecord] in
            if records == nil { records = try parsed() }
            return records ?? []
        }
        try write(.copy(encoded.rows), batch, input: input, next: next)
    }

    /// Writes `rows` in a transaction with `next`, again on a new connection when the
    /// connection is lost; `records` gives the batch's records when they are needed.
    private func write(_ rows: Rows, _ records: () throws -> [PipelineRecord], input: TopicPartition, next: Int64) throws {
        var session = try takeSession()
        defer { putBack(session) }
        var delay = 0.1
        while true {
            do {
                try transaction(session, rows, records, input: input, next: next)
                return
            } catch  where PostgresSession.losesTheConnection(error) && !setup.abort.isSet {
                setup.logger.warning(
                    "postgres connection lost; reconnecting",
                    metadata: ["sink": "\(component)", "error": "\(PostgresSinkError.message(error))"])
                try reconnect(&session, delay: &delay)
                // The COMMIT may have landed before the connection went: the database says.
                let committed = try PostgresCatalog.readOffsets(
                    offsetsTable, pipeline: setup.options.pipeline, sink: component, in: session)
                if committed[input] == next { return }
            } catch let error as PSQLError where error.mustRetry && !setup.abort.isSet {
                // A deadlock with another member's transaction (a unique index both insert
                // the same keys into): the server rolled this one back; it goes again.
                setup.logger.info(
                    "postgres transaction rolled back by the server; trying it again",
                    metadata: ["sink": "\(component)", "error": "\(PostgresSinkError.message(error))"])
            } catch {
                throw PostgresSinkError("sink '\(component)': writing to \(table)", error)
            }
        }
    }

    /// One batch, one transaction: the rows, then the input's next offset, then COMMIT.
    private func transaction(
        _ session: PostgresSession, _ rows: Rows, _ batch: () throws -> [PipelineRecord], input: TopicPartition, next: Int64
    )
        throws
    {
        do {
            try session.run("BEGIN")
            var refused: [(index: Int, reason: String)] = []
            var cells: [(index: Int, cells: [Cell])] = []
            switch rows {
            case .cells(let given): cells = given
            case .copy(let encoded):
                // Refused: the same rows (those dead-lettered while encoding left out) by
                // `INSERT`s, which find the row the server refuses.
                if try !copy(session, encoded) {
                    let records = try batch()
                    cells = self.rows(encoded.written.map { records[$0] }, from: encoded.written)
                }
            }
            for chunk in stride(from: 0, to: cells.count, by: rowsPerStatement) {
                try insert(session, cells[chunk..<min(cells.count, chunk + rowsPerStatement)], refused: &refused)
            }
            try session.run(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO \(offsetsTable) (pipeline, sink, topic, partition, next_offset) VALUES ($1, $2, $3, $4, $5)
                        ON CONFLICT (pipeline, sink, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
                        """,
                    binds: Self.binds(setup.options.pipeline, component, input.topic, Int32(input.partition), next)))
            // Dead letters go out before the commit: a crash in between sends them again
            // with the batch rather than losing them.
            if !refused.isEmpty {
                let records = try batch()
                for (index, reason) in refused { setup.deadLetter(records[index], reason: reason) }
            }
            try setup.flushDeadLetters()
            try session.run("COMMIT")
        } catch {
            _ = try? session.run("ROLLBACK")
            throw error
        }
    }

    private func reconnect(_ session: inout PostgresSession, delay: inout Double) throws {
        session.close()
        session = try connect(delay: &delay)
    }

    /// A new connection, tried again with backoff (0.1 s doubling to 5 s) until one is
    /// made or the run is aborted (the server may be restarting).
    private func connect(delay: inout Double) throws -> PostgresSession {
        while true {
            do {
                let session = try PostgresSession(configuration, logger: setup.logger)
                delay = 0.1
                return session
            } catch {
                if setup.abort.wait(until: .now + .milliseconds(Int(delay * 1000))) {
                    throw PostgresSinkError("sink '\(component)': connecting to postgres", error)
                }
                delay = min(delay * 2, 5)
            }
        }
    }

    /// An idle connection, or a new one (a member's first batch, or its connection was lost).
    private func takeSession() throws -> PostgresSession {
        if let session = idleLock.withLock({ idle.popLast() }) { return session }
        var delay = 0.1
        return try connect(delay: &delay)
    }

    private func putBack(_ session: PostgresSession) {
        if session.connection.isClosed { return }
        idleLock.withLock { idle.append(session) }
    }

    func close() {
        for session in idleLock.withLock({ idle }) { session.close() }
    }

    private static func binds(_ pipeline: String, _ sink: String, _ topic: String, _ partition: Int32, _ next: Int64)
        -> PostgresBindings
    {
        var binds = PostgresBindings(capacity: 5)
        binds.append(pipeline)
        binds.append(sink)
        binds.append(topic)
        binds.append(partition)
        binds.append(next)
        return binds
    }

    /// Each record's cells, with its index in `records`; a record with a value its column
    /// can never take is dead-lettered here. With `mode: upsert`, only the last row of each
    /// key is kept: one statement may not update a row twice.
    /// `indices` maps each of `records` to its index in the batch (by default its own).
    private func rows(_ records: [PipelineRecord], from indices: [Int]? = nil) -> [(index: Int, cells: [Cell])] {
        var rows: [(index: Int, cells: [Cell])] = []
        rows.reserveCapacity(records.count)
        records: for (position, record) in records.enumerated() {
            let index = indices?[position] ?? position
            var cells: [Cell] = []
            cells.reserveCapacity(columns.count)
            for (column, source) in columns {
                let value: Value
                switch source {
                case .field(let name):
                    guard let field = record.fields[name] else {
                        cells.append(.absent)
                        continue
                    }
                    value = field
                case .expression(let expression):
                    do { value = try expression.evaluate(record.object) } catch {
                        setup.deadLetter(record, reason: "postgres column \(column.name): \(error.message)")
                        continue records
                    }
                case .timestamp: value = .int(record.timestamp)
                }
                if let refusal = column.refusal(of: value) {
                    setup.deadLetter(record, reason: "postgres: \(refusal)")
                    continue records
                }
                cells.append(column.text(of: value).map(Cell.text) ?? .null)
            }
            rows.append((index, cells))
        }
        guard let key else { return rows }
        var last: [[String?]: Int] = [:]
        for (position, row) in rows.enumerated() {
            last[key.map { row.cells[$0].textValue }] = position
        }
        guard last.count < rows.count else { return rows }
        let kept = Set(last.values)
        return rows.indices.filter(kept.contains).map { rows[$0] }
    }

    /// Writes `rows` by `COPY` (one a group of rows filling the same columns); false, with
    /// none of them written, when the server refused one for its data (the caller then
    /// inserts them, finding which).
    private func copy(_ session: PostgresSession, _ rows: PostgresCopyRows) throws -> Bool {
        guard !rows.written.isEmpty else { return true }
        try session.run("SAVEPOINT weir_copy")
        do {
            for group in rows.groups {
                try session.copy(into: copyTable, columns: group.columns.map { copyColumns[$0] }, data: group.chunks)
            }
            return true
        } catch let error as PSQLError where error.refusesTheRow {
            try session.run("ROLLBACK TO SAVEPOINT weir_copy")
            return false
        }
    }

    private static func copyName(_ name: String) -> String {
        name.replacingOccurrences(of: "\"", with: "\"\"")
    }

    /// Inserts `rows` in one statement; when the server refuses one of them, again one by
    /// one, each under a savepoint, noting those it refuses in `refused`.
    private func insert(
        _ session: PostgresSession, _ rows: ArraySlice<(index: Int, cells: [Cell])>, refused: inout [(index: Int, reason: String)]
    ) throws {
        guard !rows.isEmpty else { return }
        try session.run("SAVEPOINT weir_rows")
        do {
            try session.run(insertQuery(rows.map(\.cells)))
            return
        } catch let error as PSQLError where error.refusesTheRow {
            try session.run("ROLLBACK TO SAVEPOINT weir_rows")
        }
        for row in rows {
            try session.run("SAVEPOINT weir_row")
            do {
                try session.run(insertQuery([row.cells]))
            } catch let error as PSQLError where error.refusesTheRow {
                try session.run("ROLLBACK TO SAVEPOINT weir_row")
                refused.append((row.index, "postgres refused the row: \(error.serverMessage ?? "\(error.code)")"))
            }
        }
    }

    private func insertQuery(_ rows: [[Cell]]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: rows.count * columns.count)
        var placeholders: [[String]] = []
        placeholders.reserveCapacity(rows.count)
        for cells in rows {
            var row: [String] = []
            row.reserveCapacity(cells.count)
            for (position, cell) in cells.enumerated() {
                switch cell {
                case .absent:
                    row.append("DEFAULT")
                    continue
                case .null: binds.appendNull()
                case .text(let text): binds.append(text)
                }
                row.append("$\(binds.count)::\(columns[position].column.type)")
            }
            placeholders.append(row)
        }
        return PostgresQuery(unsafeSQL: insertSQL(values: placeholders.map { "(" + $0.joined(separator: ", ") + ")" }), binds: binds)
    }

    /// The statement for `values` rows, or, with `rows: 0`, one that inserts nothing (it
    /// checks the columns, the conflict target and the privileges at start).
    private func insertSQL(rows: Int) -> String {
        let nulls = columns.map { "NULL::\($0.column.type)" }.joined(separator: ", ")
        return insertSQL(select: "SELECT \(nulls) WHERE false")
    }

    private func insertSQL(values: [String]) -> String {
        insertSQL(select: "VALUES " + values.joined(separator: ", "))
    }

    private func insertSQL(select: String) -> String {
        let names = columns.map(\.column.quotedName).joined(separator: ", ")
        var sql = "INSERT INTO \(table) (\(names)) \(select)"
        if let key {
            let keyNames = Set(key.map { columns[$0].column.name })
            let updates = columns.map(\.column).filter { !keyNames.contains($0.name) }.map {
                "\($0.quotedName) = EXCLUDED.\($0.quotedName)"
            }
            let target = key.map { columns[$0].column.quotedName }.joined(separator: ", ")
            sql += " ON CONFLICT (\(target)) " + (updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + updates.joined(separator: ", "))
        }
        return sql
    }
}
