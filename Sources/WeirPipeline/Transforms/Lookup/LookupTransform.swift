import WeirValues

/// `lookup`: enriches each record with the row of a table whose key is the string form of
/// the record's `field`, under `target` or merged into the record's top level. The table is
/// a file (CSV or JSON lines), loaded at the first batch and reloaded when it changes
/// (`LookupTableFile`), or a topic of the pipeline's log, the latest record per key,
/// followed while the pipeline runs (`LookupTopicTable`).
///
/// Per record it costs one hash probe with the field's bytes as they are (no `String`
/// made for an ASCII text field) and the fields it adds: a row's values are made once,
/// at load, and shared by every record they are added to.
struct LookupTransform: RecordTransform {
    /// What happens to a record whose key the table does not have (or that has no key).
    enum OnMissing: String, Sendable {
        /// It goes on unchanged.
        case keep
        /// It is dropped.
        case drop
        /// It fails, with a reason, to where `on_error` says (the dead-letter topic by default).
        case deadLetter = "dead_letter"
    }

    let id: String
    let field: String
    /// The field the row goes under, as an object; nil to merge its fields into the record.
    let target: String?
    /// Whether merged fields replace fields the record has.
    let overwrite: Bool
    let onMissing: OnMissing
    /// The table: a file (`path`) or a topic (`topic`), exactly one of them.
    let file: LookupTableFile?
    let topic: LookupTopicTable?

    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        var records = batch
        if let topic {
            let found: [Fields?]
            do { found = try topic.rows(for: records, field: field) } catch {
                result.fatal = "lookup '\(id)': \(error)"
                return result
            }
            var i = 0
            enrichAll(&records, &result) { _ in
                defer { i += 1 }
                return found[i]
            }
        } else if let file {
            let table: LookupTable
            switch file.current() {
            case .success(let current): table = current
            case .failure(let error):
                result.fatal = "lookup '\(id)': \(error)"
                return result
            }
            enrichAll(&records, &result) { fields in Self.row(fields, field, table.index).map { table.rows[$0] } }
        }
        if !records.isEmpty { result.outputs[""] = records }
        return result
    }

    /// Adds to each record the row `row` finds for its fields (called once per record, in
    /// order); a record without one is kept, dropped or failed as `on_missing` says. Inlined
    /// so each table's `row` is inlined into the loop, as it was written there before.
    @inline(__always)
    private func enrichAll(_ records: inout [PipelineRecord], _ result: inout TransformResult, row: (Fields) -> Fields?) {
        records.removeAll(inPlace: { record in
            if let found = row(record.fields) {
                enrich(&record, found)
                return false
            }
            switch onMissing {
            case .keep: return false
            case .drop: return true
            case .deadLetter:
                result.fail(record, missingReason(record.fields))
                return true
            }
        })
    }

    /// The row whose key is the string form of `fields[field]`.
    @inline(__always)
    static func row(_ fields: Fields, _ field: String, _ index: LookupIndex) -> Int? {
        if let bytes = fields.asciiText(field) { return bytes.withUnsafeBufferPointer { index.row($0) } }
        guard let value = fields[field], var text = keyText(value) else { return nil }
        return text.withUTF8 { index.row($0) }
    }

    func enrich(_ record: inout PipelineRecord, _ row: Fields) {
        if let target {
            record.fields[target] = .object(row)
            return
        }
        for (name, value) in row {
            if record.fields.index(forKey: name) == nil {
                record.fields.append(name, value)
            } else if overwrite {
                record.fields[name] = value
            }
        }
    }

    /// The string form a key is compared in: a string as it is, an int in decimal (`42`), a
    /// double as Weir's JSON output writes it (`42.0`, `1.5`), a bool as `true` or `false`;
    /// nil for null, arrays and objects (and a double that is not finite).
    static func keyText(_ value: Value) -> String? {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): number.isFinite ? String(number) : nil
        case .bool(let flag): flag ? "true" : "false"
        case .null, .array, .object: nil
        }
    }

    func missingReason(_ fields: Fields) -> String {
        guard let value = fields[field] else { return "lookup: the record has no field '\(field)'" }
        guard let key = Self.keyText(value) else {
            return
                "lookup: '\(field)' is \(value.typeName == "array" || value.typeName == "object" ? "an" : "a") \(value.typeName), not a key"
        }
        let shown = key.utf8.count > 64 ? String(decoding: key.utf8.prefix(64), as: UTF8.self) + "…" : key
        if let topic { return "lookup: the table topic '\(topic.topic)' has no key '\(shown)' ('\(field)')" }
        return "lookup: no row of \(file?.spec.path ?? "the table") has the key '\(shown)' ('\(field)')"
    }
}
