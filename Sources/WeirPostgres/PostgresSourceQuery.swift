import Foundation
import PostgresNIO
import WeirPipeline

/// The SQL of the `postgres` source: pages of rows after a position, in the order of the
/// tracking columns, each row as the server renders it in JSON (`row_to_json`: numbers,
/// booleans, nested `jsonb` and arrays as JSON, timestamps as ISO 8601 text).
struct PostgresSourceQuery {
    /// `"schema"."table"` or `(query)`: what the rows are read from, as `q`.
    let relation: String
    /// The tracking columns, quoted, and each one's type (`bigint`, `timestamp with time
    /// zone`): a position's values, kept as text, are cast back to it.
    let tracking: [(column: String, type: String)]
    /// The column whose value becomes the record's timestamp, quoted.
    let timestampColumn: String?
    let pageSize: Int

    /// A page: rows after `after` (every row with all tracking columns set, at the first
    /// read) and, when given, not after `upTo`, `LIMIT`ed to `pageSize` unless `upTo` bounds
    /// it already. Each row comes back as (JSON, timestamp in ms or NULL, tracking values
    /// as text…).
    func page(after: [String]?, upTo: [String]? = nil) -> PostgresQuery {
        let columns = tracking.map { "q.\($0.column)" }.joined(separator: ", ")
        var bindings = PostgresBindings(capacity: 2 * tracking.count)
        var conditions = tracking.map { "q.\($0.column) IS NOT NULL" }
        func values(_ texts: [String]) -> String {
            zip(texts, tracking).map { text, column in
                bindings.append(text)
                return "$\(bindings.count)::text::\(column.type)"
            }.joined(separator: ", ")
        }
        if let after { conditions.append("(\(columns)) > (\(values(after)))") }
        if let upTo { conditions.append("(\(columns)) <= (\(values(upTo)))") }
        let timestamp = timestampColumn.map { "(extract(epoch FROM q.\($0)) * 1000)::bigint" } ?? "NULL::bigint"
        let sql = """
            SELECT row_to_json(q)::text, \(timestamp), \(tracking.map { "q.\($0.column)::text" }.joined(separator: ", "))
            FROM \(relation) AS q WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(columns)\(upTo == nil ? " LIMIT \(pageSize)" : "")
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// Asks the server the type of each tracking column (and checks that the relation and
    /// the columns exist): `pg_typeof` names a column's type even when no row is there.
    static func trackingTypes(_ columns: [String], of relation: String, in session: PostgresSession) throws -> [String] {
        let probe = columns.map { "pg_typeof(q.\($0))::text" }.joined(separator: ", ")
        let rows = try session.run(
            PostgresQuery(unsafeSQL: "SELECT \(probe) FROM (SELECT 1) AS one LEFT JOIN \(relation) AS q ON true LIMIT 1")
        ).rows
        guard let row = rows.first else { return [] }
        return try columns.indices.map { try row.makeRandomAccess()[$0].decode(String.self) }
    }
}

/// Which transactions a snapshot saw in progress (`pg_current_snapshot()`'s `xip`): one of
/// them may commit a row whose tracking value is below rows already visible (a sequence
/// value or `now()` taken before a later transaction's), so rows read in that snapshot are
/// only trusted once they have all ended.
struct SnapshotInProgress: Equatable {
    var transactions: [UInt64]

    /// From `xmin:xmax:xip,xip,…`.
    init(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        transactions = parts.count == 3 ? parts[2].split(separator: ",").compactMap { UInt64($0) } : []
    }

    /// Whether all of them have ended, given a later snapshot's `xmin` (the oldest
    /// transaction still running then).
    func ended(byXmin xmin: UInt64) -> Bool { transactions.allSatisfy { $0 < xmin } }
}

/// The position a `postgres` source appends with each page: the tracking values of the
/// page's last row, as text.
struct PostgresSourcePosition: Codable, Equatable {
    var after: [String]

    init(after: [String]) { self.after = after }

    init?(_ text: String?) {
        guard let text, let decoded = try? JSONDecoder().decode(Self.self, from: Data(text.utf8)) else { return nil }
        self = decoded
    }

    var text: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self) }
}
