public import WeirValues

extension PipelineRecord {
    /// The key a sink gives this record: `expression`'s value (a string as its UTF-8, null
    /// as no key, anything else as JSON), or the record's own key without one (or when it
    /// cannot be evaluated on this record).
    public func key(from expression: WeirValues.Expression?) -> [UInt8]? {
        guard let expression, let computed = try? expression.evaluate(object) else { return key }
        switch computed {
        case .null: return nil
        case .string(let text): return Array(text.utf8)
        default: return Array(computed.jsonText().utf8)
        }
    }
}
