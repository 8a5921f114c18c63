/// Why a sketch's encoded state was refused: a checkpoint written by a newer Weir, cut
/// short, or corrupted. Decoding checks every field, so bad bytes throw and never trap.
public struct SketchDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The sketch type being decoded (`HyperLogLog`, `DDSketch`).
    public let sketch: String
    /// The byte offset in the encoded state where the problem was found.
    public let offset: Int
    public let reason: String

    public init(sketch: String, offset: Int, reason: String) {
        self.sketch = sketch
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(sketch) state at byte \(offset): \(reason)" }
}
