import FuzzSupport
import WeirPipeline

/// The pipeline loader: any text is a definition or a list of diagnostics with
/// positions — never a trap, never a hang (YAML anchors, deep nesting included).
@_cdecl("FuzzPipelineLoader_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, count in fuzzPipelineLoader(data, count) }
}

func fuzzPipelineLoader(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    let (definition, diagnostics) = PipelineLoader(environment: ["HOME": "/tmp"]).load(text: text, file: "fuzz.yaml", defaultName: "fuzz")
    if definition == nil && diagnostics.isEmpty { fatalError("no definition and no diagnostic") }
    for diagnostic in diagnostics where diagnostic.line < 1 || diagnostic.column < 1 {
        fatalError("a diagnostic without a place: \(diagnostic)")
    }
    return 0
}
