/// Reads what `SketchByteWriter` wrote, refusing (with the offset) anything truncated,
/// overlong or out of range instead of trapping: checkpoints can be corrupted.
struct SketchByteReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int
    private let sketch: String

    init(_ bytes: ArraySlice<UInt8>, sketch: String) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.sketch = sketch
    }

    /// The offset from the start of the state, for errors.
    var offset: Int { position - bytes.startIndex }

    var isAtEnd: Bool { position == bytes.endIndex }

    func failure(_ reason: String) -> SketchDecodingError {
        SketchDecodingError(sketch: sketch, offset: offset, reason: reason)
    }

    mutating func byte() throws(SketchDecodingError) -> UInt8 {
        guard position < bytes.endIndex else { throw failure("truncated") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws(SketchDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            let payload = UInt64(next & 0x7F)
            guard shift < 63 || (shift == 63 && payload <= 1) else { throw failure("varint too long") }
            value |= payload << shift
            if next & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// A varint that must lie in `range`.
    mutating func count(in range: ClosedRange<Int>, _ what: String) throws(SketchDecodingError) -> Int {
        let value = try varint()
        guard value <= UInt64(range.upperBound), Int(value) >= range.lowerBound else {
            throw failure("\(what) \(value) outside \(range)")
        }
        return Int(value)
    }

    mutating func signedVarint() throws(SketchDecodingError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func double() throws(SketchDecodingError) -> Double {
        var bits: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { bits |= UInt64(try byte()) << UInt64(shift) }
        return Double(bitPattern: bits)
    }

    /// The state must end exactly where its format says: trailing bytes mean corruption.
    func expectEnd() throws(SketchDecodingError) {
        guard isAtEnd else { throw failure("\(bytes.endIndex - position) trailing bytes") }
    }
}
