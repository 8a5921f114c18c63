public import WeirLog

/// A sink that can make its batch straight from JSON text: when the only thing between a
/// topic and the sink is a `parse_json` (the everyday "JSON topic into a table"), and
/// nobody taps either, `SinkRunner` gives it the values as read and the transform's
/// parser instead of the parsed records: no record is made, and no field (the postgres
/// sink writes `COPY` rows from the JSON members).
///
/// What it writes must be what `parse_json` then `write` would write: a record it cannot
/// read that way it parses with `parser` and writes as usual; a record whose field is
/// not a JSON object makes `encode` give nil, and the batch goes through the transform
/// (which fails that record).
public protocol JSONObjectsWriter: SinkOutput {
    /// The records of `values` ready for `write(encoded:…)`, as `parser` would have parsed
    /// them; nil when one of them does not parse, or the output cannot read these (then
    /// the batch goes through the transform). Called on a member's prefetch thread, at the
    /// same time as another member's `write`.
    func encode(_ values: TopicValues, parsing parser: JSONFieldParser) -> (any Sendable)?
    /// Writes what `encode` made, as `write(_:input:next:checkpoint:)` writes parsed
    /// records; `parsed` gives the parsed records when the output needs them after all
    /// (the server refused one of the rows).
    func write(
        encoded: any Sendable, parsed: () throws -> [PipelineRecord], input: TopicPartition, next: Int64,
        checkpoint: inout SinkCheckpoint) throws
}
