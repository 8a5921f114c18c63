/// The fields of an object (a record's fields, a JSON object): names and values in the
/// order they were added, which is the order JSON output keeps (a regex's groups, a JSON
/// object's members), in a small array searched linearly (records hold a handful of
/// fields, where hashing costs more than comparing).
///
/// A string value may be held as the UTF-8 bytes it was read with (a slice of the batch
/// it came from, or of another field's bytes, as a regex capture is): it becomes a
/// `String` only when read as a `Value`, and writers copy the bytes as they are.
/// Two `Fields` are equal when they hold the same names with equal values, in any order.
public struct Fields: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: Value)

    @usableFromInline var entries: [Entry]

    @usableFromInline struct Entry: Sendable {
        @usableFromInline var name: String
        @usableFromInline var slot: Slot

        @inlinable init(_ name: String, _ slot: Slot) {
            self.name = name
            self.slot = slot
        }
    }

    /// A value, or a string's UTF-8 bytes not decoded yet (possibly not valid UTF-8: they
    /// decode as `String(decoding:as:)` does, with U+FFFD for what is not).
    @usableFromInline enum Slot: Sendable {
        case value(Value)
        case text(ArraySlice<UInt8>)

        @inlinable var value: Value {
            switch self {
            case .value(let value): value
            case .text(let bytes): .string(String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    public init() { entries = [] }

    public init(minimumCapacity: Int) {
        entries = []
        entries.reserveCapacity(minimumCapacity)
    }

    /// Fields from a dictionary, in the order of their names (a dictionary has none).
    public init(_ dictionary: [String: Value]) {
        entries = dictionary.sorted { $0.key < $1.key }.map { Entry($0.key, .value($0.value)) }
    }

    /// Fields in the order given; a later pair with a name already given replaces its value.
    public init(_ pairs: some Sequence<(String, Value)>) {
        entries = []
        for (name, value) in pairs { self[name] = value }
    }

    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(elements)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    public subscript(position: Int) -> Element {
        (entries[position].name, entries[position].slot.value)
    }

    public var keys: [String] { entries.map(\.name) }

    /// The position of the field called `name`.
    @inlinable public func index(forKey name: String) -> Int? {
        entries.firstIndex { $0.name == name }
    }

    /// The value of the field called `name`; setting nil removes the field, setting a
    /// new name adds it last.
    @inlinable public subscript(name: String) -> Value? {
        get { index(forKey: name).map { entries[$0].slot.value } }
        set {
            if let at = index(forKey: name) {
                if let newValue { entries[at].slot = .value(newValue) } else { entries.remove(at: at) }
            } else if let newValue {
                entries.append(Entry(name, .value(newValue)))
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey name: String) -> Value? {
        guard let at = index(forKey: name) else { return nil }
        return entries.remove(at: at).slot.value
    }

    /// Sets several fields at once.
    public mutating func merge(_ pairs: [(String, Value)]) {
        entries.reserveCapacity(entries.count + pairs.count)
        for (name, value) in pairs { self[name] = value }
    }

    /// Sets the field `name` to a string held as its UTF-8 bytes, decoded only when read.
    public mutating func setText(_ name: String, _ bytes: ArraySlice<UInt8>) {
        if let at = index(forKey: name) {
            entries[at].slot = .text(bytes)
        } else {
            entries.append(Entry(name, .text(bytes)))
        }
    }

    /// Adds the field `name`, a string held as its UTF-8 bytes, last, without looking for
    /// a field of that name: for a caller that knows there is none.
    public mutating func appendText(_ name: String, _ bytes: ArraySlice<UInt8>) {
        entries.append(Entry(name, .text(bytes)))
    }

    /// Adds the field `name` last, without looking for a field of that name: for a caller
    /// that knows there is none (`lookup` merging a row after its own search).
    public mutating func append(_ name: String, _ value: Value) {
        entries.append(Entry(name, .value(value)))
    }

    /// The bytes of the field `name` when it is a string still held as the bytes it was
    /// read with and they are ASCII (so exactly what decoding and encoding again gives).
    public func asciiText(_ name: String) -> ArraySlice<UInt8>? {
        guard let at = index(forKey: name), case .text(let bytes) = entries[at].slot, Self.isASCII(bytes) else { return nil }
        return bytes
    }

    /// Whether every byte is below 0x80, eight at a time.
    public static func isASCII(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes(isASCII)
    }

    /// Whether every byte is below 0x80, eight at a time.
    public static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        isASCII(UnsafeRawBufferPointer(bytes))
    }

    private static func isASCII(_ raw: UnsafeRawBufferPointer) -> Bool {
        var at = 0
        var any: UInt64 = 0
        while at + 8 <= raw.count {
            any |= raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            at += 8
        }
        while at < raw.count {
            any |= UInt64(raw[at])
            at += 1
        }
        return any & 0x8080_8080_8080_8080 == 0
    }

    public static func == (left: Fields, right: Fields) -> Bool {
        guard left.count == right.count else { return false }
        return left.entries.allSatisfy { entry in right[entry.name] == entry.slot.value }
    }

    /// Independent of order, as equality is.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for entry in entries {
            var one = Hasher()
            one.combine(entry.name)
            one.combine(entry.slot.value)
            sum &+= one.finalize()
        }
        hasher.combine(entries.count)
        hasher.combine(sum)
    }
}
