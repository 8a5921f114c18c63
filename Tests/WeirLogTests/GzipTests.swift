import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// Gzip batches go through libdeflate, with zlib behind it for zlib framing and for
/// whatever libdeflate refuses.
@Suite struct GzipTests {
    /// `data` gzip-compressed by Python (not by Weir), with a file name and a comment in the
    /// header, as some producers write.
    static func pythonGzip(_ data: [UInt8]) throws -> [UInt8] {
        let script = """
            import gzip, io, sys
            out = io.BytesIO()
            with gzip.GzipFile(filename="batch.txt", mode="wb", fileobj=out, mtime=0) as f:
                f.write(sys.stdin.buffer.read())
            sys.stdout.buffer.write(out.getvalue())
            """
        let result = try run("/usr/bin/env", ["python3", "-c", script], input: Data(data))
        #expect(result.status == 0)
        return Array(result.stdout)
    }

    @Test func inflatesWhatAnotherGzipWrote() throws {
        let text = Array((0..<5_000).map { "line \($0) of a log, \($0 % 7 == 0 ? "\"quoted\"" : "plain")\n" }.joined().utf8)
        let compressed = try Self.pythonGzip(text)
        #expect(compressed[3] & 0x08 != 0, "the header carries a file name")
        #expect(try compressed.withUnsafeBytes { try Gzip.decompress($0) } == text)
    }

    @Test func roundTripsAtEveryLevel() throws {
        var generator = SeededGenerator(seed: 19)
        let text = (0..<200_000).map { _ in UInt8.random(in: 0x20..<0x30, using: &generator) }
        for level in 1...9 {
            let compressed = ByteWriter()
            try text.withUnsafeBytes { try Gzip.compress($0, level: level, into: compressed) }
            let framed = Array(UnsafeRawBufferPointer(start: compressed.pointer, count: compressed.count))
            #expect(framed.count < text.count)
            #expect(try framed.withUnsafeBytes { try Gzip.decompress($0) } == text, "level \(level)")
        }
    }

    @Test func aDamagedStreamIsAnErrorFromEitherPath() throws {
        let text = Array(String(repeating: "weir tails files into topics\n", count: 2_000).utf8)
        let compressed = try Self.pythonGzip(text)
        // A flipped byte in the deflate data, and a trailer whose length or CRC is wrong:
        // libdeflate refuses each, and zlib says why.
        for position in [compressed.count / 2, compressed.count - 2, compressed.count - 6] {
            var damaged = compressed
            damaged[position] ^= 0x5A
            let error = #expect(throws: WeirLogError.self) { try damaged.withUnsafeBytes { try Gzip.decompress($0) } }
            #expect(error?.description.contains("inflate") == true, "\(String(describing: error))")
        }
    }
}
