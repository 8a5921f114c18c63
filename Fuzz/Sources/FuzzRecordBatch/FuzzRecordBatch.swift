import FuzzSupport
import WeirLog

/// The record-batch decoder: any bytes either decode (every record visited, headers
/// read) or throw — never trap, never read out of bounds.
@_cdecl("FuzzRecordBatch_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, count in fuzzRecordBatch(data, count) }
}

func fuzzRecordBatch(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    guard let batch = try? RecordBatch(parsing: bytes) else { return 0 }
    _ = batch.codec
    _ = try? batch.forEachRecord { view in
        _ = view.headers
        _ = view.key?.count
        _ = view.value?.count
    }
    return 0
}
