import WeirValues

/// `parse_kv`: `key=value` pairs, with the separators, quotes and trimming configurable,
/// become string fields. It generalises `parse_logfmt` (which stays as it is: it walks
/// `Character`s, so its edge cases — a combining mark after `=`, a `\r\n` — are not a
/// byte scanner's, and its tests pin them).
///
/// A key given twice keeps its last value, as `parse_logfmt` and a JSON object's members
/// do: every field stays a string, so a condition on it reads the same on every line.
struct ParseKVTransform: RecordTransform {
    var processesRecordsIndependently: Bool { true }
    /// What a key without a value (`key` alone, between separators) gives.
    enum BareKey: String, Sendable {
        /// Nothing: free text between pairs (`Accepted password for root from ...`) is
        /// not turned into fields.
        case skip
        /// The string `true`, as `parse_logfmt` reads a flag.
        case flag
        /// An empty string.
        case empty
    }

    let field: String
    let scanner: KVScanner
    let trimKey: ByteSet
    let trimValue: ByteSet
    /// When not empty, only these keys (as written, before `prefix`) are kept.
    let includeKeys: Set<String>
    let excludeKeys: Set<String>
    let prefix: String
    let bareKey: BareKey

    func process(_ batch: consuming [PipelineRecord]) -> TransformResult {
        var records = batch
        var result = TransformResult()
        var pairs: [KVScanner.Pair] = []
        records.removeAll(inPlace: { record in
            guard let reason = parse(&record, pairs: &pairs) else { return false }
            result.fail(record, reason)
            return true
        })
        if !records.isEmpty { result.outputs[""] = records }
        return result
    }

    /// Sets the pairs of the record's field; the reason when it holds none (with a value:
    /// bare keys do not count), the record then left as it was. `pairs` is scratch space.
    func parse(_ record: inout PipelineRecord, pairs: inout [KVScanner.Pair]) -> String? {
        guard let line = record.utf8Bytes(field) else { return "parse_kv: field '\(field)' is not a string" }
        pairs.removeAll(keepingCapacity: true)
        line.withUnsafeBufferPointer { scanner.scan($0, into: &pairs) }
        guard pairs.contains(where: { $0.valueStart != nil }) else { return "parse_kv: '\(field)' holds no key=value pairs" }
        let base = line.startIndex
        for pair in pairs {
            let key = trimmed(line[(base + pair.keyStart)..<(base + pair.keyEnd)], trimKey)
            guard !key.isEmpty else { continue }
            let name = String(decoding: key, as: UTF8.self)
            if (!includeKeys.isEmpty && !includeKeys.contains(name)) || excludeKeys.contains(name) { continue }
            let value: ArraySlice<UInt8>
            if pair.valueStart != nil {
                value = trimmed(scanner.value(line, pair), trimValue)
            } else {
                switch bareKey {
                case .skip: continue
                case .flag: value = Self.flag
                case .empty: value = []
                }
            }
            record.fields.setText(prefix.isEmpty ? name : prefix + name, value)
        }
        return nil
    }

    static let flag = Array("true".utf8)[...]

    /// `text` without the bytes of `set` at either end.
    func trimmed(_ text: ArraySlice<UInt8>, _ set: ByteSet) -> ArraySlice<UInt8> {
        guard !set.isEmpty else { return text }
        var start = text.startIndex
        var end = text.endIndex
        while start < end && set.contains(text[start]) { start += 1 }
        while end > start && set.contains(text[end - 1]) { end -= 1 }
        return text[start..<end]
    }
}
