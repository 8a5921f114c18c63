/// What a writer of many JSON objects keeps from one object to the next: the member
/// names' text (quoted, escaped, each followed by its colon), and room to write an object
/// in.
///
/// The records of a batch have the same names in the same order (a parser gives every
/// record the same ones), so after the first object a writer only compares each name with
/// the one kept at its place, and copies the kept text: no name is scanned for escapes or
/// searched for again. A name that differs makes the whole list again.
public struct JSONObjectScratch: Sendable {
    /// The names of the last object's fields, in order.
    private var names: [String] = []
    /// The key of the member written before the fields, as last asked for.
    private var extraKey: String?
    /// Whether that member was written: the fields had no member of its name.
    private(set) var leads = false
    /// The text of every name written (the extra member's first when it `leads`), back to
    /// back, and where each one ends in it.
    private(set) var text: [UInt8] = []
    private(set) var ends: [Int] = []
    /// Where an object is written before it is appended to the output: as large as the
    /// largest object yet could need.
    var room: [UInt8] = []

    public init() {}

    /// Makes the kept names those of an object of `fields` with an extra member keyed
    /// `extraKey` first (unless a field has that name).
    mutating func update(_ fields: Fields, extraKey: String?) {
        if extraKey == self.extraKey && names.count == fields.entries.count {
            var same = true
            for i in names.indices where names[i] != fields.entries[i].name {
                same = false
                break
            }
            if same { return }
        }
        self.extraKey = extraKey
        names = fields.entries.map(\.name)
        text.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        leads = extraKey.map { fields.index(forKey: $0) == nil } ?? false
        if leads, let extraKey { add(extraKey) }
        for name in names { add(name) }
    }

    private mutating func add(_ name: String) {
        Value.writeJSONString(name, into: &text)
        text.append(UInt8(ascii: ":"))
        ends.append(text.count)
    }

    /// Makes `room` at least `size` bytes.
    mutating func makeRoom(_ size: Int) {
        if room.count < size { room = [UInt8](repeating: 0, count: max(size, 2 * room.count)) }
    }
}
