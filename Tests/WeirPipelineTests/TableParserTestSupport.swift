import Foundation
import Testing
import WeirValues

@testable import WeirPipeline

/// What a parser transform made of one line: the record's fields, or the failure's reason.
enum ParsedLine: Equatable, CustomStringConvertible {
    case fields(Fields)
    case failed(String)
    case dropped

    var description: String {
        switch self {
        case .fields(let fields): "\(Value.object(fields))"
        case .failed(let reason): "failed: \(reason)"
        case .dropped: "dropped"
        }
    }

    subscript(_ name: String) -> Value? {
        guard case .fields(let fields) = self else { return nil }
        return fields[name]
    }
}

/// Runs `transform` on one record whose message is `line`, held as bytes as a source
/// reads it (`asText`) or as a `String`.
func parseLine(_ transform: any RecordTransform, _ line: String, asText: Bool = true) -> ParsedLine {
    let record = asText ? PipelineRecord(message: Array(line.utf8)[...], timestamp: 1) : PipelineRecord(message: line, timestamp: 1)
    let result = transform.process([record])
    if let failure = result.failures.first {
        #expect(failure.record == record, "a failed record is left as it was")
        return .failed(failure.reason)
    }
    guard let out = result.records.first else { return .dropped }
    return .fields(out.fields)
}

/// The diagnostics `weir validate` gives for a transform declared as `yaml`.
func transformDiagnostics(_ yaml: String) -> [String] {
    let text =
        "topics:\n  raw: {}\ntransforms:\n  t:\n" + yaml.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        + "\n    inputs: [raw]\n"
    return PipelineLoader(environment: [:]).load(text: text, file: "t.yaml", defaultName: "t").1.map(\.message)
}

/// The lines of a loghub sample (CRLF endings) as a line source gives them: without
/// their line ending, as bytes.
func loghubLines(_ file: String) throws -> [ArraySlice<UInt8>] {
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    let data = try Data(contentsOf: root.appendingPathComponent("samples/loghub/" + file))
    return [UInt8](data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
        line.last == UInt8(ascii: "\r") ? line.dropLast() : line
    }.filter { !$0.isEmpty }
}
