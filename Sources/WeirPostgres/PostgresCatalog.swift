import Foundation
import PostgresNIO
import WeirLog
import WeirPipeline
import WeirValues

/// What the sink learns from the database when it starts, and the checks made then: a
/// column it would write that the table lacks, or a conflict target without a unique
/// index, stops the pipeline before any record is read.
enum PostgresCatalog {
    /// The table's columns in order, with its name as the catalog quotes it.
    static func describe(_ name: String, in session: PostgresSession, sink: String) throws -> (
        table: String, columns: [PostgresColumn]
    ) {
        let query: PostgresQuery = """
            SELECT to_regclass(\(name))::text, a.attname::text, format_type(a.atttypid, NULL), t.typname::text, t.typcategory::text,
              a.attgenerated = '' AND a.attidentity <> 'a'
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = to_regclass(\(name)) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """
        let rows: [(String, String, String, String, String, Bool)]
        do {
            rows = try session.run(query).rows.map { try $0.decode((String, String, String, String, String, Bool).self) }
        } catch {
            throw PostgresSinkError("sink '\(sink)': table \(name) cannot be described", error)
        }
        guard let table = rows.first?.0 else {
            throw PostgresSinkError("sink '\(sink)': table \(name) does not exist (create it first)")
        }
        return (
            table,
            rows.map { PostgresColumn(name: $0.1, type: $0.2, typeName: $0.3, category: $0.4.first ?? "X", takesValues: $0.5) }
        )
    }

    /// The schema and the name of `table` (as `describe` returned it), unquoted.
    static func schemaAndName(_ table: String, in session: PostgresSession, sink: String) throws -> [String] {
        let query: PostgresQuery = """
            SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = to_regclass(\(table))
            """
        do {
            guard let row = try session.run(query).rows.first else {
                throw PostgresSinkError("sink '\(sink)': table \(table) does not exist (create it first)")
            }
            let (schema, name) = try row.decode((String, String).self)
            return [schema, name]
        } catch let error as PostgresSinkError {
            throw error
        } catch {
            throw PostgresSinkError("sink '\(sink)': table \(table) cannot be described", error)
        }
    }

    /// The columns written and where their values come from: `columns` as given (each must
    /// be a column of the table), else every column of the table from its field (but
    /// generated columns and `GENERATED ALWAYS` identities, which take no value).
    static func mapping(_ options: ComponentOptions, _ table: [PostgresColumn]) throws -> [(
        column: PostgresColumn, source: PostgresSink.Source
    )] {
        func column(_ name: String, _ option: String) throws -> PostgresColumn {
            guard let found = table.first(where: { $0.name == name }) else {
                throw options.invalid(option, "names column '\(name)', which the table does not have")
            }
            return found
        }
        let timestampColumn = try options.string("timestamp_column").map { try column($0, "timestamp_column") }
        var mapped: [(column: PostgresColumn, source: PostgresSink.Source)]
        let given = options.expressions("columns")
        if given.isEmpty {
            mapped = table.filter { $0.takesValues && $0.name != timestampColumn?.name }.map {
                (column: $0, source: PostgresSink.Source.field($0.name))
            }
        } else {
            mapped = try given.map { (column: try column($0.0, "columns"), source: PostgresSink.Source.expression($0.1)) }
        }
        if let timestampColumn, !mapped.contains(where: { $0.column.name == timestampColumn.name }) {
            mapped.append((column: timestampColumn, source: .timestamp))
        }
        return mapped
    }

    /// For `mode: upsert`, the positions of the `key` columns among those written.
    static func conflictColumns(_ options: ComponentOptions, _ written: [PostgresColumn]) throws -> [Int]? {
        guard options.string("mode") == "upsert" else {
            if !options.strings("key").isEmpty { throw options.invalid("key", "is for mode: upsert") }
            return nil
        }
        let key = options.strings("key")
        if key.isEmpty { throw options.invalid("key", "must name the conflict columns for mode: upsert") }
        return try key.map { name in
            guard let index = written.firstIndex(where: { $0.name == name }) else {
                throw options.invalid("key", "names column '\(name)', which is not among the columns written")
            }
            return index
        }
    }

    /// `name` or `schema.name`, each part quoted.
    static func quoteQualified(_ name: String) -> String {
        name.split(separator: ".", maxSplits: 1).map { PostgresColumn.quote(String($0)) }.joined(separator: ".")
    }

    static func createOffsetsTable(_ table: String, in session: PostgresSession, sink: String) throws {
        do {
            try session.run(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(table) (
                            pipeline text NOT NULL, sink text NOT NULL, topic text NOT NULL, partition integer NOT NULL,
                            next_offset bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
                            PRIMARY KEY (pipeline, sink, topic, partition))
                        """))
        } catch {
            throw PostgresSinkError("sink '\(sink)': offsets table \(table) cannot be created", error)
        }
    }

    /// The next offset of every input partition the sink committed, by pipeline and sink.
    static func readOffsets(_ table: String, pipeline: String, sink: String, in session: PostgresSession) throws
        -> [TopicPartition: Int64]
    {
        var binds = PostgresBindings(capacity: 2)
        binds.append(pipeline)
        binds.append(sink)
        do {
            let rows = try session.run(
                PostgresQuery(
                    unsafeSQL: "SELECT topic, partition, next_offset FROM \(table) WHERE pipeline = $1 AND sink = $2", binds: binds)
            ).rows
            var offsets: [TopicPartition: Int64] = [:]
            for row in rows {
                let (topic, partition, next) = try row.decode((String, Int32, Int64).self)
                offsets[TopicPartition(topic: topic, partition: Int(partition))] = next
            }
            return offsets
        } catch {
            throw PostgresSinkError("sink '\(sink)': offsets table \(table) cannot be read", error)
        }
    }
}

extension PostgresSession {
    /// Runs `sql` (which changes nothing) in a transaction rolled back at once: the
    /// server's refusal (a column, the conflict target, a privilege) stops the start.
    func checkStatement(_ sql: String, sink: String) throws {
        do {
            try run("BEGIN")
            defer { _ = try? run("ROLLBACK") }
            try run(PostgresQuery(unsafeSQL: sql))
        } catch {
            throw PostgresSinkError("sink '\(sink)': the table refuses what the sink would write", error)
        }
    }
}
