import ArgumentParser
import Foundation

/// `--format text|json` of the list and describe commands. JSON field names are stable
/// and documented in docs/json-output.md.
struct FormatOption: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "text (for people) or json (one document, for programs; docs/json-output.md).")
    var format: Format = .text

    var json: Bool { format == .json }

    /// Prints `value` as one pretty JSON document with sorted keys (in snake case unless
    /// `keys` says otherwise: names that come from data must stay as they are).
    func print(_ value: some Encodable, keys: JSONEncoder.KeyEncodingStrategy = .convertToSnakeCase) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = keys
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
