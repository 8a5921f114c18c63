import FuzzSupport
import WeirValues

/// The expression parser and evaluator: any text parses or gives an error with its
/// place, and a parsed expression evaluates against a record or throws.
@_cdecl("FuzzExpression_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, count in fuzzExpression(data, count) }
}

func fuzzExpression(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    guard let expression = try? Expression(parsing: text) else { return 0 }
    let record: Value = .object([
        "message": .string("Failed password for root from 5.36.59.76 port 42393 ssh2"), "status": .int(404),
        "bytes": .double(12.5), "tags": .array([.string("a"), .bool(true), .null]), "nested": .object(["x": .int(-1)]),
    ])
    _ = try? expression.evaluate(record)
    return 0
}
