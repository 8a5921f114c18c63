import WeirValues

/// How `reduce` merges one field of a group's records into the field of its output record.
enum ReduceStrategy: String, Sendable, CaseIterable {
    /// Strings joined with "\n": the lines of a multi-line message (`message`'s default).
    case concatNewline = "concat_newline"
    /// Strings joined with a space, as Vector's `concat`.
    case concat
    /// Strings joined with nothing between them.
    case concatRaw = "concat_raw"
    /// Every value, in order, as an array (nulls included).
    case array
    /// Numbers added: an integer while every value is one and the sum fits, else a number.
    case sum
    /// The smallest or largest: numbers by value, strings by their UTF-8 bytes.
    case min, max
    /// The first or the last value the group's records had (the default for fields
    /// other than `message`).
    case first, last

    /// The bytes put between two strings of a concatenating strategy; nil for the others.
    var separator: [UInt8]? {
        switch self {
        case .concatNewline: [UInt8(ascii: "\n")]
        case .concat: [UInt8(ascii: " ")]
        case .concatRaw: []
        default: nil
        }
    }

    /// Whether the strategy refuses some values (a `sum` of strings): those fields are
    /// checked before a record is merged, so a record is merged whole or not at all.
    var checksTypes: Bool {
        switch self {
        case .concatNewline, .concat, .concatRaw, .sum, .min, .max: true
        case .array, .first, .last: false
        }
    }
}

/// The strategies of a `reduce`: the ones configured by field, `concat_newline` for
/// `message` and `last` for the rest.
struct ReduceStrategies: Sendable {
    let byField: [String: ReduceStrategy]
    /// The fields whose strategy checks types, in name order: checked before each merge.
    let checked: [(String, ReduceStrategy)]

    init(_ configured: [String: ReduceStrategy]) {
        var byField = configured
        if byField["message"] == nil { byField["message"] = .concatNewline }
        self.byField = byField
        checked = byField.filter(\.value.checksTypes).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    subscript(field: String) -> ReduceStrategy { byField[field] ?? .last }
}
