import WeirValues

/// A `dedupe` key: the bytes that encode the key's values (`DedupeKeyEncoder`). Keys are
/// compared and hashed as bytes, so a text field read from the log is never made into a
/// `String` to be looked up.
struct DedupeKey: Hashable, Sendable {
    /// An array, not a slice: one word per kept key (a slice takes four).
    var bytes: [UInt8]

    /// All the bytes at once: `Array`'s own hash feeds the hasher one byte at a time.
    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (left: DedupeKey, right: DedupeKey) -> Bool {
        left.bytes.count == right.bytes.count
            && left.bytes.withUnsafeBytes { l in right.bytes.withUnsafeBytes { r in l.elementsEqual(r) } }
    }

    /// A copy of its own, exactly as long as the key: a key looked up is the encoder's
    /// buffer, which the next record overwrites (and which has room to spare).
    var compacted: DedupeKey { DedupeKey(bytes: bytes.withUnsafeBufferPointer { Array($0) }) }
}

/// Writes a record's key into a buffer reused from record to record: per value a tag byte,
/// then for a string its UTF-8 length (4 bytes) and bytes, for an integer or a double its
/// 8 bytes, for an array or an object the length and bytes of its JSON text. The encoding
/// is injective (tags and lengths delimit every value), so equal bytes are equal keys.
struct DedupeKeyEncoder {
    private(set) var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(256) }

    mutating func reset() { buffer.removeAll(keepingCapacity: true) }

    /// The field `name` of `record` (missing: null). A field read as ASCII text is copied
    /// as it is; any other string is encoded from its UTF-8, which gives the same bytes.
    mutating func append(field name: String, of record: PipelineRecord) {
        if let text = record.fields.asciiText(name) {
            text.withUnsafeBufferPointer { appendString($0) }
        } else {
            append(record[field: name] ?? .null)
        }
    }

    mutating func append(_ value: Value) {
        switch value {
        case .null: buffer.append(0)
        case .bool(let flag): buffer.append(flag ? 2 : 1)
        case .int(let number):
            buffer.append(3)
            put(UInt64(bitPattern: number))
        case .double(let number):
            buffer.append(4)
            // -0.0 == 0.0 as values: one key.
            put(number == 0 ? 0 : number.bitPattern)
        case .string(var text): text.withUTF8 { appendString($0) }
        case .array, .object:
            buffer.append(6)
            var json = value.jsonText()
            json.withUTF8 { appendBytes($0) }
        }
    }

    private mutating func appendString(_ bytes: UnsafeBufferPointer<UInt8>) {
        buffer.append(5)
        appendBytes(bytes)
    }

    private mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: bytes.count).littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: bytes)
    }

    private mutating func put(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }
}
