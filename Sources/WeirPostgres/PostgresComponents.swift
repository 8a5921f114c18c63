public import WeirPipeline
import WeirValues

/// The `postgres` sink: a pipeline's records as rows of a PostgreSQL table, exactly once.
public enum PostgresComponents {
    public static func register(in registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec(
                type: "postgres", kind: .sink, summary: "writes records as rows of a PostgreSQL table (exactly once)",
                options: [
                    OptionSpec("url", .string, required: true, description: "postgres://user:password@host:port/database"),
                    OptionSpec("table", .string, required: true),
                    OptionSpec("columns", .expressionMap, description: "column: expression (default: every column from its field)"),
                    OptionSpec("mode", .oneOf(["insert", "upsert"]), default: .string("insert")),
                    OptionSpec("key", .stringList, description: "the upsert's conflict columns"),
                    OptionSpec("timestamp_column", .string, description: "a column that takes the record's timestamp"),
                    OptionSpec("offsets_table", .string, default: .string("weir_offsets")),
                ]), sink: { try PostgresSink(setup: $0) })
    }
}
