import Testing

@testable import WeirPipeline

@Suite("syslog source: RFC 6587 framing of a TCP stream")
struct SyslogFramerTests {
    /// The frames of `pieces` fed one after another (as separate reads), and the error.
    func frames(_ pieces: [String], max: Int = 64, finish: Bool = false) -> (frames: [String], SyslogBatch, String?) {
        var framer = SyslogFramer(maxFrameBytes: max)
        var batch = SyslogBatch()
        var failure: String?
        for piece in pieces where failure == nil {
            Array(piece.utf8).withUnsafeBytes { bytes in
                do throws(SyslogFramer.FramingError) { try framer.feed(bytes, into: &batch) } catch { failure = error.description }
            }
        }
        if finish { framer.finish(into: &batch) }
        return (batch.frames.map { String(decoding: batch.bytes[$0], as: UTF8.self) }, batch, failure)
    }

    @Test("several octet-counted frames in one read; a frame's trailing newline is dropped")
    func countedTogether() {
        let (got, _, failure) = frames(["11 <13>1 - a b5 <14>x10 <15>hello\n"])
        #expect(got == ["<13>1 - a b", "<14>x", "<15>hello"])
        #expect(failure == nil)
    }

    @Test("a frame split across reads anywhere (in its count, after it, in its message) is whole")
    func countedSplit() {
        let stream = "11 <13>1 x y z5 <14>a"
        for cut in 1..<stream.utf8.count {
            let bytes = Array(stream.utf8)
            let pieces = [String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]
            #expect(frames(pieces).frames == ["<13>1 x y z", "<14>a"], "cut at \(cut)")
        }
        let oneByteAtATime = stream.map { String($0) }
        #expect(frames(oneByteAtATime).frames == ["<13>1 x y z", "<14>a"])
    }

    @Test("newline framing: \\n or \\r\\n ends a frame, empty lines are skipped, digits without a space start a line")
    func lines() {
        let (got, _, _) = frames(["<13>a line\r\n\n<14>second", " part\n2024-05-01 plain\n"])
        #expect(got == ["<13>a line", "<14>second part", "2024-05-01 plain"])
    }

    @Test("octet counting and newline framing mixed on one connection, frame by frame")
    func mixed() {
        #expect(frames(["<13>lf\n3 abc<14>lf2\n"]).frames == ["<13>lf", "abc", "<14>lf2"])
    }

    @Test("a line over max_frame_bytes is cut there and counted; the next line is whole")
    func longLine() {
        let long = String(repeating: "x", count: 40)
        let (got, batch, _) = frames(["<13>" + long, long + "\n<14>next\n"], max: 16)
        #expect(got == ["<13>" + String(repeating: "x", count: 12), "<14>next"])
        #expect(batch.truncated == 1)
    }

    @Test("an octet count over max_frame_bytes, of zero or of eleven digits is a framing error; frames before it stay")
    func badCounts() {
        let (got, _, failure) = frames(["3 abc100 <13>too long for the limit"], max: 64)
        #expect(got == ["abc"])
        #expect(failure?.contains("an octet count of 100 over max_frame_bytes (64)") == true)
        #expect(frames(["0 x"]).2?.contains("an octet count of zero") == true)
        #expect(frames(["123456789012 x"]).2?.contains("more than ten digits") == true)
    }

    @Test("at the connection's end a line without its newline is a frame; a counted frame cut short is rejected")
    func finish() {
        #expect(frames(["<13>last"], finish: true).frames == ["<13>last"])
        let (got, batch, _) = frames(["10 <13>ab"], finish: true)
        #expect(got.isEmpty)
        #expect(batch.rejected.map(\.reason) == ["the connection closed 4 bytes before the end of an octet-counted frame"])
    }
}
