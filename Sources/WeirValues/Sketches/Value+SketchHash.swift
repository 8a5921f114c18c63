/// A value's hash for the sketches: the same in every process (wyhash, fixed seeds), and
/// different for values of different types that print alike — `"1"`, `1` and `1.0` are
/// three distinct values, as `Value`'s equality says.
///
/// Each type hashes its canonical bytes with a seed of its own (the type tag): a string its
/// UTF-8, an integer its eight little-endian bytes, a double its bits (with -0.0 as 0.0 and
/// every NaN as one NaN, since they compare equal), a bool one word. Arrays hash their
/// elements' hashes in order; objects their fields' name and value hashes sorted by name,
/// because `Fields` equality ignores order.
extension Value {
    /// The seeds that keep the types apart.
    @usableFromInline enum SketchTag {
        @usableFromInline static var null: UInt64 { 1 }
        @usableFromInline static var bool: UInt64 { 2 }
        @usableFromInline static var int: UInt64 { 3 }
        @usableFromInline static var double: UInt64 { 4 }
        @usableFromInline static var string: UInt64 { 5 }
        @usableFromInline static var array: UInt64 { 6 }
        @usableFromInline static var object: UInt64 { 7 }
    }

    /// The hash of a string value given as its UTF-8 bytes (a field's text, without making
    /// a `String`): equal to `Value.string(s).sketchHash` for the same bytes.
    @inlinable
    public static func sketchHash(text: UnsafeRawBufferPointer) -> UInt64 {
        WyHash.hash(text, seed: SketchTag.string)
    }

    /// This value's hash for the sketches.
    public var sketchHash: UInt64 {
        switch self {
        case .null:
            return WyHash.hash(word: 0, seed: SketchTag.null)
        case .bool(let value):
            return WyHash.hash(word: value ? 1 : 0, seed: SketchTag.bool)
        case .int(let value):
            return WyHash.hash(word: UInt64(bitPattern: value), seed: SketchTag.int)
        case .double(let value):
            let canonical = value.isNaN ? Double.nan : (value == 0 ? 0.0 : value)
            return WyHash.hash(word: canonical.bitPattern, seed: SketchTag.double)
        case .string(var value):
            return value.withUTF8 { Self.sketchHash(text: UnsafeRawBufferPointer($0)) }
        case .array(let elements):
            return Self.hashOfHashes(elements.map(\.sketchHash), seed: SketchTag.array)
        case .object(let fields):
            let sorted = fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            var hashes: [UInt64] = []
            hashes.reserveCapacity(sorted.count * 2)
            for field in sorted {
                hashes.append(Value.string(field.key).sketchHash)
                hashes.append(field.value.sketchHash)
            }
            return Self.hashOfHashes(hashes, seed: SketchTag.object)
        }
    }

    private static func hashOfHashes(_ hashes: [UInt64], seed: UInt64) -> UInt64 {
        let littleEndian = hashes.map(\.littleEndian)
        return littleEndian.withUnsafeBytes { WyHash.hash($0, seed: seed) }
    }
}
