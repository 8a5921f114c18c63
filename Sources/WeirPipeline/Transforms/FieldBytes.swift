import WeirValues

extension PipelineRecord {
    /// The UTF-8 bytes of the string field `name`, for parsers that split on ASCII bytes
    /// (`parse_csv`, `parse_kv`): the bytes it was read with when they are ASCII (no copy),
    /// else the string's own UTF-8 (a copy, valid UTF-8 whatever was read); nil when the
    /// field is missing or not a string.
    ///
    /// Splitting at ASCII bytes never cuts a UTF-8 sequence, so each slice of these bytes
    /// is a whole string: slices can be stored as the field's text without decoding.
    func utf8Bytes(_ name: String) -> ArraySlice<UInt8>? {
        if let bytes = fields.asciiText(name) { return bytes }
        guard case .string(let text) = fields[name] else { return nil }
        return Array(text.utf8)[...]
    }
}
