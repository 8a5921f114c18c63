public import WeirPipeline
import WeirValues

/// The `postgres` source (a table read incrementally, each row once) and sink (records
/// as rows of a table, exactly once).
public enum PostgresComponents {
    public static func register(in registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec(
                type: "postgres", kind: .source, summary: "reads a table or query incrementally by its tracking columns (each row once)",
                options: [
                    OptionSpec("url", .string, required: true, description: "postgres://user:password@host:port/database"),
                    OptionSpec("table", .string, description: "the table read (or query)"),
                    OptionSpec("query", .string, description: "a SELECT read instead of a table"),
                    OptionSpec(
                        "tracking_column", .stringList, required: true,
                        description: "the strictly increasing column, or columns (updated_at, id), rows are read in the order of"),
                    OptionSpec("timestamp_column", .string, description: "a column that gives the record its timestamp"),
                    OptionSpec("batch_rows", .integer(1...1_000_000), default: .int(5000), description: "rows per page (one append)"),
                    OptionSpec(
                        "interval_ms", .integer(1...86_400_000), default: .int(1000),
                        description: "the pause at the end before the next poll"),
                ]), source: { try PostgresSource(options: $0) })
        registry.register(
            ComponentSpec(
                type: "postgres", kind: .sink, summary: "writes records as rows of a PostgreSQL table (exactly once)",
                options: [
                    OptionSpec("url", .string, required: true, description: "postgres://user:password@host:port/database"),
                    OptionSpec("table", .string, required: true),
                    OptionSpec("columns", .expressionMap, description: "column: expression (default: every column from its field)"),
                    OptionSpec("mode", .oneOf(["insert", "upsert"]), default: .string("insert")),
                    OptionSpec(
                        "method", .oneOf(["copy", "insert"]), default: .string("copy"),
                        description: "how mode: insert writes rows: COPY, or multi-row INSERTs"),
                    OptionSpec("key", .stringList, description: "the upsert's conflict columns"),
                    OptionSpec("timestamp_column", .string, description: "a column that takes the record's timestamp"),
                    OptionSpec("offsets_table", .string, default: .string("weir_offsets")),
                ]), sink: { try PostgresSink(setup: $0) })
    }
}
