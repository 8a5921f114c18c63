import FuzzSupport
import NIOCore
import WeirKafkaCodec

/// The Kafka request decoder, every API and version: any bytes either decode or throw —
/// never trap, never read out of bounds — and what decodes encodes back to bytes that
/// decode to the same encoding (a field read in one version and written in another
/// would show here).
@_cdecl("FuzzKafkaRequest_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, count in fuzzKafkaRequest(data, count) }
}

func fuzzKafkaRequest(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let frame = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: count))
    guard let first = try? KafkaRequestDecoder.decode(frame) else { return 0 }
    var again = ByteBuffer()
    first.header.write(
        to: &again, flexible: KafkaRequestDecoder.api(APIKey(rawValue: first.header.apiKey)!).isFlexible(first.header.apiVersion))
    var body = first.reencoded
    again.writeBuffer(&body)
    guard let second = try? KafkaRequestDecoder.decode(again) else {
        fatalError("a decoded request re-encodes to bytes that do not decode (api \(first.header.apiKey) v\(first.header.apiVersion))")
    }
    precondition(second.reencoded == first.reencoded, "api \(first.header.apiKey) v\(first.header.apiVersion) does not round-trip")
    return 0
}
